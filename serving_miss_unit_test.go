package certflow

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// missRig is a Manager that does not run (so nothing but a serving miss
// puts a challenge in its cache) on a memory store counting the reads of
// Challenges, with a fake clock.
type missRig struct {
	ctx   context.Context
	clock *clock.Fake
	st    *heldWatch
	m     *Manager
	logs  *bytes.Buffer
}

func newMissRig(t *testing.T) *missRig {
	t.Helper()
	clk := clock.NewFake(testrig.Epoch)
	st := newHeldWatch(memory.New(memory.WithClock(clk)))
	logs := &bytes.Buffer{}
	m, err := New(Config{Store: st, Clock: clk, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	return &missRig{ctx: testrig.Context(t), clock: clk, st: st, m: m, logs: logs}
}

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// storeChallenge stores a challenge as the replica that presented it did.
func (r *missRig) storeChallenge(t *testing.T, name string, typ solver.Type, dnsName string, presented bool) *challenge.Challenge {
	t.Helper()
	token := randomToken(t)
	ch := &challenge.Challenge{
		TypeMeta:   meta.TypeMeta{APIVersion: meta.KindChallenge.APIVersion(), Kind: meta.KindChallenge},
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: name},
		Spec: challenge.Spec{Type: typ, DNSName: dnsName, Token: token, Key: token + ".thumbprint-" + name,
			URL: "https://ca.test/chall/" + name, AuthorizationURL: "https://ca.test/authz/" + name},
		Status: challenge.Status{Presented: presented, Processing: true, State: challenge.StatePending},
	}
	require.NoError(t, r.st.Create(r.ctx, ch))
	return ch
}

// issuing stores a Certificate for names whose issuance is under way, and
// tells the rig's Manager of it as its watch would: only validations for
// such names may read the Store.
func (r *missRig) issuing(t *testing.T, name string, names ...string) *certificate.Certificate {
	t.Helper()
	crt := testrig.ACMECertificate("default", name, "le", names...)
	require.NoError(t, r.m.Apply(r.ctx, crt))
	stored := &certificate.Certificate{}
	require.NoError(t, r.st.Get(r.ctx, meta.RefOf(crt), stored))
	r.m.wiring.miss.gate.observe(store.WatchEvent{Type: store.Added, Ref: meta.RefOf(stored), Meta: stored.ObjectMeta}, &r.m.owners)
	return stored
}

func (r *missRig) get(token, host string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://"+host+"/.well-known/acme-challenge/"+token, nil)
	rec := httptest.NewRecorder()
	r.m.HTTPHandler(nil).ServeHTTP(rec, req)
	return rec
}

// A validation for a presented challenge the cache does not hold is
// answered from the Store: HTTP-01 with its key authorization, TLS-ALPN-01
// with its challenge certificate. One that is not presented yet is not
// served. The key authorization never reaches the log.
func TestServingMiss_AnswersFromTheStore(t *testing.T) {
	r := newMissRig(t)
	r.issuing(t, "c", "web.example.test", "alpn.example.test", "early.example.test", "other.example.test")
	web := r.storeChallenge(t, "web", solver.HTTP01, "web.example.test", true)
	alpn := r.storeChallenge(t, "alpn", solver.TLSALPN01, "alpn.example.test", true)
	early := r.storeChallenge(t, "early", solver.HTTP01, "early.example.test", false)

	rec := r.get(web.Spec.Token, "web.example.test")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, web.Spec.Key, rec.Body.String())
	assert.EqualValues(t, 1, r.st.challengeLists.Load(), "one read of the Store")

	cert, err := r.m.GetCertificate(&tls.ClientHelloInfo{ServerName: "alpn.example.test", SupportedProtos: []string{"acme-tls/1"}})
	require.NoError(t, err, "the read for the HTTP-01 miss served the TLS-ALPN-01 challenge too")
	require.NotNil(t, cert.Leaf)
	assert.Equal(t, []string{"alpn.example.test"}, cert.Leaf.DNSNames)
	assert.EqualValues(t, 1, r.st.challengeLists.Load(), "a hit reads nothing")

	r.clock.Advance(missReadInterval) // the next read may start
	assert.Equal(t, http.StatusNotFound, r.get(early.Spec.Token, "early.example.test").Code, "not presented: not served")
	assert.EqualValues(t, 2, r.st.challengeLists.Load())
	assert.Equal(t, http.StatusNotFound, r.get(web.Spec.Token, "other.example.test").Code, "the Host must name the identifier")
	for _, ch := range []*challenge.Challenge{web, alpn, early} {
		assert.NotContains(t, r.logs.String(), ch.Spec.Key)
	}
}

// A TLS-ALPN-01 validation the cache misses reads the Store itself.
func TestServingMiss_TLSALPN01ReadsTheStore(t *testing.T) {
	r := newMissRig(t)
	r.issuing(t, "c", "alpn.example.test", "none.example.test")
	r.storeChallenge(t, "alpn", solver.TLSALPN01, "alpn.example.test", true)
	cert, err := r.m.TLSConfig().GetCertificate(&tls.ClientHelloInfo{ServerName: "alpn.example.test", SupportedProtos: []string{"acme-tls/1"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"alpn.example.test"}, cert.Leaf.DNSNames)
	assert.EqualValues(t, 1, r.st.challengeLists.Load())

	r.clock.Advance(missReadInterval)
	_, err = r.m.GetCertificate(&tls.ClientHelloInfo{ServerName: "none.example.test", SupportedProtos: []string{"acme-tls/1"}})
	require.Error(t, err)
	assert.EqualValues(t, 2, r.st.challengeLists.Load())
}

// A flood of made-up tokens costs the Store one read per
// missReadInterval, one at a time, however many requests miss; a token
// the Store did not hold is answered without a read for missNegativeTTL.
// Malformed tokens are refused before any lookup.
func TestServingMiss_FloodOfMadeUpTokensIsBounded(t *testing.T) {
	r := newMissRig(t)
	r.issuing(t, "web", "web.example.test")
	const n = 400
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = randomToken(t)
	}
	flood := func(tokens []string) (codes map[int]int, intervals int) {
		var mu sync.Mutex
		codes = map[int]int{}
		var wg sync.WaitGroup
		for _, tok := range tokens {
			wg.Go(func() {
				code := r.get(tok, "web.example.test").Code
				mu.Lock()
				codes[code]++
				mu.Unlock()
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		// The clock moves only when a read waits for it: every read but
		// the first needs an interval of its own.
		for {
			changed := r.clock.Changed()
			if r.clock.Waiters() > 0 {
				r.clock.Advance(missReadInterval)
				intervals++
				continue
			}
			select {
			case <-done:
				return codes, intervals
			case <-changed:
			case <-r.ctx.Done():
				t.Fatal("the flood's requests did not return")
			}
		}
	}

	codes, intervals := flood(tokens)
	reads := r.st.challengeLists.Load()
	t.Logf("%d requests with made-up tokens: %d reads of the Store over %d intervals", n, reads, intervals)
	assert.Equal(t, map[int]int{http.StatusNotFound: n}, codes)
	assert.LessOrEqual(t, reads, int64(intervals+1), "at most one read per interval")
	assert.EqualValues(t, 1, r.st.maxIn.Load(), "one read at a time")

	// Requests that arrive one by one each get a read of their own, so the
	// flood may span more than missNegativeTTL: the tokens of its first
	// reads are forgotten by now. Those still remembered are sent again.
	var fresh []string
	for _, tok := range tokens {
		if r.m.wiring.miss.knownAbsent(tok) {
			fresh = append(fresh, tok)
		}
	}
	require.NotEmpty(t, fresh, "the tokens of the flood's last read are remembered")
	codes, intervals = flood(fresh)
	assert.Equal(t, map[int]int{http.StatusNotFound: len(fresh)}, codes)
	assert.Zero(t, intervals)
	assert.Equal(t, reads, r.st.challengeLists.Load(), "tokens just looked for are not looked for again")
	tokens[0] = fresh[0]

	r.clock.Advance(missNegativeTTL)
	assert.Equal(t, http.StatusNotFound, r.get(tokens[0], "web.example.test").Code)
	assert.Equal(t, reads+1, r.st.challengeLists.Load(), "after missNegativeTTL a token is looked for again")

	for _, bad := range []string{"short", tokens[0] + "/x", "..%2F" + tokens[0]} {
		assert.Equal(t, http.StatusBadRequest, r.get(bad, "web.example.test").Code, bad)
	}
	assert.Equal(t, reads+1, r.st.challengeLists.Load(), "malformed tokens read nothing")
}

// servedTokens records the tokens the handler says it served.
type servedTokens struct {
	mu     sync.Mutex
	tokens []string
}

func (s *servedTokens) Served(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = append(s.tokens, token)
}

func (s *servedTokens) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

// Each HTTP-01 answer the handler serves is told to the Challenge
// reconciler's Fetches (so the CA's fetch times the look at the
// authorization), whether the cache held it or the Store answered a
// miss; a token it does not serve is not.
func TestServingMiss_TellsFetchesOfEachAnswerServed(t *testing.T) {
	r := newMissRig(t)
	r.issuing(t, "c", "web.example.test")
	web := r.storeChallenge(t, "web", solver.HTTP01, "web.example.test", true)
	served := &servedTokens{}
	tokens := missTokens{cache: r.m.wiring.cache, miss: r.m.wiring.miss, fetches: served}

	_, _, ok := tokens.KeyAuthorization(web.Spec.Token)
	require.False(t, ok, "not in the cache yet")
	_, _, ok = tokens.FindKeyAuthorization(r.ctx, "web.example.test", web.Spec.Token)
	require.True(t, ok)
	assert.Equal(t, []string{web.Spec.Token}, served.got(), "answered from the Store")
	_, _, ok = tokens.KeyAuthorization(web.Spec.Token)
	require.True(t, ok)
	assert.Equal(t, []string{web.Spec.Token, web.Spec.Token}, served.got(), "answered from the cache")

	r.clock.Advance(missReadInterval)
	_, _, ok = tokens.FindKeyAuthorization(r.ctx, "web.example.test", randomToken(t))
	require.False(t, ok)
	assert.Len(t, served.got(), 2, "a token not served")
}
