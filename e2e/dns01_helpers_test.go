package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/bindtest"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/dns01"
	"github.com/certflow/certflow/store"
)

// tsigSecretName and tsigSecretKey locate the TSIG secret in the Store.
const (
	tsigSecretName = "tsig"
	tsigSecretKey  = "tsig-secret"
)

// tsigSecret is the Secret holding a base64 TSIG secret.
func tsigSecret(ns, value string) *secret.Secret {
	return &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: tsigSecretName},
		Data:       map[string][]byte{tsigSecretKey: []byte(value)},
	}
}

// randomTSIGSecret is a well-formed secret that no server knows.
func randomTSIGSecret(t *testing.T) string {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

// rfc2136Solver is an issuer's dns01.rfc2136 solver pointing at bind with
// the given key name, reading the secret from tsigSecret.
func rfc2136Solver(b *bindtest.Server, keyName string) solver.Config {
	return solver.Config{DNS01: &solver.DNS01Config{RFC2136: &solver.RFC2136Config{
		Nameserver:          b.Addr,
		TSIGKeyName:         keyName,
		TSIGAlgorithm:       "HMACSHA256",
		TSIGSecretSecretRef: solver.SecretKeySelector{Name: tsigSecretName, Key: tsigSecretKey},
	}}}
}

// bindCheck makes the Manager's DNS-01 self-check ask bind, as resolver and
// as every zone's authoritative nameserver (NS hosts resolve to loopback
// addresses, queried on bind's port).
func bindCheck(b *bindtest.Server, onQuery dns01.QueryHook) dns01.Config {
	return dns01.Config{
		Resolvers:      []string{b.Addr},
		NameserverPort: b.Port,
		QueryTimeout:   time.Second,
		OnQuery:        onQuery,
	}
}

// servedTXT asks b for the TXT values at name; safe off the test goroutine.
func servedTXT(ctx context.Context, b *bindtest.Server, name string) ([]string, error) {
	r, err := b.Query(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	return txtValues(r, name), nil
}

func txtValues(r *dns.Msg, name string) []string {
	var out []string
	for _, rr := range r.Answer {
		if txt, ok := rr.(*dns.TXT); ok && strings.EqualFold(txt.Hdr.Name, dns.Fqdn(name)) {
			out = append(out, strings.Join(txt.Txt, ""))
		}
	}
	return out
}

// waitNoTXT polls bind until name has no TXT value, or fails the test.
func (h *harness) waitNoTXT(b *bindtest.Server, name string) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		vals := b.TXT(h.t, name)
		if len(vals) == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s still has TXT values %q", name, vals)
		}
		select {
		case <-h.ctx.Done():
			h.t.Fatalf("waiting for %s to be cleaned up: %v", name, h.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitStatus waits until the Status text of ref contains want and returns it.
func (h *harness) waitStatus(ref meta.Ref, want string) string {
	h.t.Helper()
	var text string
	h.awaitStore("status of "+ref.String()+" mentions "+want, func() bool {
		st, err := h.m.Status(h.ctx, ref)
		if err != nil {
			return false
		}
		text = st.String()
		return strings.Contains(text, want)
	})
	return text
}

// solverCall is one Present or CleanUp seen by a recordingProvider.
type solverCall struct {
	Challenge solver.Challenge
	// At is when Present was called, or when CleanUp returned.
	At  time.Time
	Err error
	// Served is what the DNS served at the record name right before
	// CleanUp (nil when the provider has no served func).
	Served []string
}

// recordingProvider wraps a DNS-01 provider and records every Present and
// CleanUp; before each CleanUp it asks served what the DNS holds, which is
// what the CA saw while validating.
type recordingProvider struct {
	inner  solver.DNS01Provider
	served func(ctx context.Context, name string) ([]string, error)
	// afterPresent, if set, is told after each successful Present how many
	// distinct challenges have been presented so far.
	afterPresent func(n int)
	// gate, if set, makes the solvers a solver.Checker whose Check waits
	// (at most 10 s) until gate is closed — a self-check for Managers
	// without DNS01Check, holding every challenge back from the CA until
	// the test opens it.
	gate chan struct{}

	mu       sync.Mutex
	presents []solverCall
	cleanups []solverCall
}

var _ solver.DNS01Provider = (*recordingProvider)(nil)

func (p *recordingProvider) NewSolver(ctx context.Context, cfg solver.DNS01Config, ns string, secrets solver.Secrets) (solver.Solver, error) {
	s, err := p.inner.NewSolver(ctx, cfg, ns, secrets)
	if err != nil {
		return nil, err
	}
	rs := &recordingSolver{inner: s, p: p}
	if p.gate != nil {
		return gatedSolver{rs}, nil
	}
	return rs, nil
}

// openAfter closes gate once n distinct challenges have been presented.
func (p *recordingProvider) openAfter(n int) {
	p.gate = make(chan struct{})
	var once sync.Once
	p.afterPresent = func(got int) {
		if got >= n {
			once.Do(func() { close(p.gate) })
		}
	}
}

type gatedSolver struct{ *recordingSolver }

var _ solver.Checker = gatedSolver{}

func (s gatedSolver) Check(ctx context.Context, _ solver.Challenge) error {
	select {
	case <-s.p.gate:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(10 * time.Second):
	}
	return nil
}

func (p *recordingProvider) calls() (presents, cleanups []solverCall) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.presents), slices.Clone(p.cleanups)
}

type recordingSolver struct {
	inner solver.Solver
	p     *recordingProvider
}

func (s *recordingSolver) Present(ctx context.Context, ch solver.Challenge) error {
	start := time.Now()
	err := s.inner.Present(ctx, ch)
	s.p.mu.Lock()
	s.p.presents = append(s.p.presents, solverCall{Challenge: ch, At: start, Err: err})
	values := map[string]bool{}
	for _, c := range s.p.presents {
		if c.Err == nil {
			values[c.Challenge.DNS01Value()] = true
		}
	}
	s.p.mu.Unlock()
	if s.p.afterPresent != nil && err == nil {
		s.p.afterPresent(len(values))
	}
	return err
}

func (s *recordingSolver) CleanUp(ctx context.Context, ch solver.Challenge) error {
	call := solverCall{Challenge: ch}
	if s.p.served != nil {
		vals, err := s.p.served(ctx, ch.RecordName())
		call.Served, call.Err = vals, err
	}
	err := s.inner.CleanUp(ctx, ch)
	call.At = time.Now()
	if call.Err == nil {
		call.Err = err
	}
	s.p.mu.Lock()
	s.p.cleanups = append(s.p.cleanups, call)
	s.p.mu.Unlock()
	return err
}

// txtSink mirrors TXT changes into the CA's DNS (acmetest) and remembers
// the most values each name held at once.
type txtSink struct {
	next interface{ SetTXT(string, ...string) }

	mu   sync.Mutex
	most map[string][]string
}

func (s *txtSink) SetTXT(name string, values ...string) {
	s.mu.Lock()
	if s.most == nil {
		s.most = map[string][]string{}
	}
	key := dns.CanonicalName(name)
	if len(values) > len(s.most[key]) {
		s.most[key] = slices.Clone(values)
	}
	s.mu.Unlock()
	s.next.SetTXT(name, values...)
}

func (s *txtSink) mostAt(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.most[dns.CanonicalName(name)])
}

// queryLog records the DNS-01 self-check's queries. If gate is set, every
// TXT answer is held until it is closed (at most 10 s): challenges sharing a
// name then reach the CA only after all of them are presented, so the test
// does not depend on which one the Manager happens to present first.
type queryLog struct {
	gate chan struct{}

	mu      sync.Mutex
	servers map[string]bool
	// found is when a TXT answer first held each value.
	found map[string]time.Time
}

// gatedQueries returns a queryLog whose gate opens once rec has presented n
// distinct challenges.
func gatedQueries(rec *recordingProvider, n int) *queryLog {
	l := &queryLog{gate: make(chan struct{})}
	var once sync.Once
	rec.afterPresent = func(got int) {
		if got >= n {
			once.Do(func() { close(l.gate) })
		}
	}
	return l
}

func (l *queryLog) hook(server, _ string, q dns.Question, r *dns.Msg, err error) {
	l.record(server, q, r, err)
	if l.gate != nil && q.Qtype == dns.TypeTXT {
		select {
		case <-l.gate:
		case <-time.After(10 * time.Second):
		}
	}
}

func (l *queryLog) record(server string, q dns.Question, r *dns.Msg, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.servers == nil {
		l.servers, l.found = map[string]bool{}, map[string]time.Time{}
	}
	if q.Qtype != dns.TypeTXT || err != nil || r == nil {
		return
	}
	l.servers[server] = true
	for _, v := range txtValues(r, q.Name) {
		if _, ok := l.found[v]; !ok {
			l.found[v] = time.Now()
		}
	}
}

func (l *queryLog) askedTXT() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for s := range l.servers {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func (l *queryLog) foundAt(value string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.found[value]
	return at, ok
}

// challengePaths records the HTTP-01 paths the CA fetched.
type challengePaths struct {
	mu    sync.Mutex
	paths []string
}

func (c *challengePaths) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
			c.mu.Lock()
			c.paths = append(c.paths, r.Host+r.URL.Path)
			c.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (c *challengePaths) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.paths)
}

func keys[K comparable, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (p *recordingProvider) presentsNow() []solverCall {
	presents, _ := p.calls()
	return presents
}

// challengeFor returns the Challenge for dnsName in ns, failing the test if
// there is none.
func (h *harness) challengeFor(ns, dnsName string) *challenge.Challenge {
	h.t.Helper()
	chs, err := store.ListOf[challenge.Challenge](h.ctx, h.store, store.ListOptions{Kind: meta.KindChallenge, Namespace: ns})
	require.NoError(h.t, err)
	for _, ch := range chs {
		if ch.Spec.DNSName == dnsName {
			return ch
		}
	}
	h.t.Fatalf("no Challenge for %s in %s", dnsName, ns)
	return nil
}

// waitCleanups waits until rec has recorded n CleanUp calls: the Challenge's
// CleanedUp status is written after CleanUp returns, so a Store change
// follows every recording.
func (h *harness) waitCleanups(rec *recordingProvider, n int) {
	h.t.Helper()
	h.awaitStore(fmt.Sprintf("%d CleanUp call(s)", n), func() bool {
		_, cleanups := rec.calls()
		return len(cleanups) >= n
	})
}
