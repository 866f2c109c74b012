package order

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/reconcile"
)

// slowIssuer is just enough of an ACME server for one order that the CA
// issues a while after each finalize (start), counting the reads of it.
type slowIssuer struct {
	srv *httptest.Server

	mu       sync.Mutex
	issuedAt time.Time
	reads    int
}

func newSlowIssuer(t *testing.T) *slowIssuer {
	t.Helper()
	s := &slowIssuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/dir", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"newNonce": s.srv.URL + "/nonce", "newAccount": s.srv.URL + "/acct", "newOrder": s.srv.URL + "/order"})
	})
	mux.HandleFunc("/nonce", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Replay-Nonce", rand.Text()) })
	mux.HandleFunc("/order/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Replay-Nonce", rand.Text())
		s.mu.Lock()
		s.reads++
		status := acme.StatusProcessing
		if !time.Now().Before(s.issuedAt) {
			status = acme.StatusValid
		}
		s.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "certificate": s.srv.URL + "/cert/1"})
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// finalized makes the order processing, to be issued after d, and
// returns the reads so far.
func (s *slowIssuer) finalized(d time.Duration) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issuedAt = time.Now().Add(d)
	return s.reads
}

func (s *slowIssuer) readsSince(before int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads - before
}

// awaitRounds finalizes rounds orders one after the other at a CA that
// issues each after issue, waits for each with one reconciler made with
// opts (awaitIssued: at once, then the polling policy), and returns the
// reads of each.
func awaitRounds(t *testing.T, s *slowIssuer, issue time.Duration, rounds int, opts Options) []int {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cl := &acme.Client{Key: key, KID: acme.KeyID(s.srv.URL + "/acct/1"), DirectoryURL: s.srv.URL + "/dir", HTTPClient: s.srv.Client(),
		RetryBackoff: func(int, *http.Request, *http.Response) time.Duration { return -1 }}
	r := NewReconciler(reconcile.Deps{}, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var reads []int
	for range rounds {
		v := &visit{cl: cl, o: &Order{Status: Status{URL: s.srv.URL + "/order/1"}}}
		before := s.finalized(issue)
		ao, _, err := r.awaitIssued(ctx, v, &acme.Order{Status: acme.StatusProcessing}, 0)
		require.NoError(t, err)
		require.Equal(t, acme.StatusValid, ao.Status)
		reads = append(reads, s.readsSince(before))
	}
	return reads
}

// Against a CA that issues 200ms after finalize, the learned pause after
// the first look rises to about that, and an order then costs two or three
// reads where the fixed 5ms doubling costs seven (at once, then 5, 15, 35,
// 75, 155 and 315ms; logged, not asserted: on a loaded machine late timers
// make it fewer).
func TestLearnedOrderPollAgainstSlowIssuer(t *testing.T) {
	const issue, rounds = 200 * time.Millisecond, 10
	s := newSlowIssuer(t)
	fixed := awaitRounds(t, s, issue, rounds, Options{PollInterval: acmeproto.DefaultFirstPoll})
	polls := &acmeproto.FirstPolls{}
	learned := awaitRounds(t, s, issue, rounds, Options{FirstPolls: polls})
	t.Logf("reads per order: fixed %v, learned %v", fixed, learned)

	late := 0
	for _, n := range learned[rounds/2:] {
		late += n
	}
	assert.LessOrEqual(t, late, 3*(rounds-rounds/2), "once learned, two or three reads each")
	assert.Greater(t, polls.For(s.srv.URL+"/dir", orderKind).Pause(), issue/4, "the learned pause rose from 5ms towards the CA's time")
}

// MaxPollInterval bounds the learned pause of an order being issued too.
func TestLearnedOrderPollWithinMaxPollInterval(t *testing.T) {
	const dir, limit = "https://ca.example/dir", 50 * time.Millisecond
	polls := &acmeproto.FirstPolls{}
	for range 20 {
		polls.For(dir, orderKind).Observe(false)
	}
	require.Equal(t, acmeproto.MaxFirstPoll, polls.For(dir, orderKind).Pause())
	r := NewReconciler(reconcile.Deps{}, Options{FirstPolls: polls, MaxPollInterval: limit})
	v := &visit{cl: &acme.Client{DirectoryURL: dir}}
	for n := 1; n <= 3; n++ {
		assert.LessOrEqual(t, r.poll(v, StateProcessing).Pause(n, 0), limit, "pause before look %d", n)
	}
}

// An order is one sample: the look after the first pause, not the ones
// after it. Against a CA that issues 300ms after finalize, one order
// steps the pause once, as one miss does.
func TestLearnedOrderPollOneSamplePerOrder(t *testing.T) {
	s := newSlowIssuer(t)
	polls := &acmeproto.FirstPolls{}
	reads := awaitRounds(t, s, 300*time.Millisecond, 1, Options{FirstPolls: polls})
	require.Greater(t, reads[0], 2, "the order was looked at more than twice")
	once := (&acmeproto.FirstPolls{}).For("", orderKind)
	once.Observe(false)
	assert.Equal(t, once.Pause(), polls.For(s.srv.URL+"/dir", orderKind).Pause())
}
