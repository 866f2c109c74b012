package certflow

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/memory"
)

// heldWatch is the shared Store as a replica whose watch lags behind sees
// it: the real store, whose watches deliver nothing until release is
// closed (then everything, in order). It counts the Lists of Challenges,
// the reads a serving miss makes.
type heldWatch struct {
	store.Store
	release  chan struct{}
	watching chan struct{} // closed by the first Watch
	once     sync.Once

	challengeLists atomic.Int64
	inList, maxIn  atomic.Int64
}

func newHeldWatch(st store.Store) *heldWatch {
	return &heldWatch{Store: st, release: make(chan struct{}), watching: make(chan struct{})}
}

func (h *heldWatch) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if opts.Kind == meta.KindChallenge {
		h.challengeLists.Add(1)
		n := h.inList.Add(1)
		defer h.inList.Add(-1)
		for m := h.maxIn.Load(); n > m && !h.maxIn.CompareAndSwap(m, n); m = h.maxIn.Load() {
		}
	}
	return h.Store.List(ctx, opts)
}

func (h *heldWatch) Watch(ctx context.Context, from uint64) (<-chan store.WatchEvent, error) {
	in, err := h.Store.Watch(ctx, from)
	if err != nil {
		return nil, err
	}
	h.once.Do(func() { close(h.watching) })
	out := make(chan store.WatchEvent)
	go func() {
		defer close(out)
		select {
		case <-h.release:
		case <-ctx.Done():
			return
		}
		for ev := range in {
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// validationCounter serves a Manager to the CA and counts the CA's
// validations it answered: HTTP-01 requests answered 200, acme-tls/1
// handshakes given a certificate.
type validationCounter struct {
	m          *Manager
	http, alpn atomic.Int64
	misses     atomic.Int64 // validations answered without a key authorization
}

func (v *validationCounter) HTTPHandler(fallback http.Handler) http.Handler {
	h := v.m.HTTPHandler(fallback)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if strings.HasPrefix(r.Header.Get("User-Agent"), testrig.PebbleVAUserAgent) {
			if rec.status == http.StatusOK {
				v.http.Add(1)
			} else {
				v.misses.Add(1)
			}
		}
	})
}

func (v *validationCounter) TLSConfig() *tls.Config {
	cfg := v.m.TLSConfig()
	get := cfg.GetCertificate
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := get(hello)
		if err == nil {
			v.alpn.Add(1)
		} else {
			v.misses.Add(1)
		}
		return cert, err
	}
	return cfg
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// selfCheckPorts gives m's HTTP-01 and TLS-ALPN-01 self-checks ports of
// their own, served by the Manager the returned function is given.
func selfCheckPorts(t *testing.T, cfg *Config) (serve func(*Manager)) {
	t.Helper()
	hl, httpPort := testrig.ListenLoopback(t)
	tl, tlsPort := testrig.ListenLoopback(t)
	cfg.ACME.HTTP01Port, cfg.ACME.TLSALPN01Port = httpPort, tlsPort
	return func(m *Manager) {
		hs := &http.Server{Handler: m.HTTPHandler(http.NotFoundHandler()), ReadHeaderTimeout: 5 * time.Second}
		ts := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = hs.Serve(hl) }()
		go func() { _ = ts.Serve(tls.NewListener(tl, m.TLSConfig())) }()
		t.Cleanup(func() { _ = hs.Close(); _ = ts.Close() })
	}
}

// Two replicas share a Store behind a load balancer that sends the CA's
// validations to the one that did not present the challenge, and whose
// watch has delivered nothing (held back for the whole test): B knows the
// Certificates only from the list it started with. Replica A presents,
// self-checks on its own ports and accepts; the CA validates at replica B
// only, which finds each challenge in the Store and answers. Without the
// Store lookup, B answers 404 and the orders fail.
func TestReplica_AnswersValidationsItsWatchHasNotDelivered(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) (a, b store.Store)
	}{
		{"memory", func(*testing.T) (store.Store, store.Store) { st := memory.New(); return st, st }},
		{"file", func(t *testing.T) (store.Store, store.Store) {
			dir := t.TempDir()
			open := func() store.Store {
				st, err := file.Open(dir, file.WithPollInterval(10*time.Millisecond), file.WithoutSync())
				require.NoError(t, err)
				t.Cleanup(func() { _ = st.Close() })
				return st
			}
			return open(), open() // two handles, as two processes have
		}},
	}
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := testrig.Context(t)
			rig := testrig.StartACME(t, nil)
			storeA, storeB := sc.open(t)
			held := newHeldWatch(storeB)
			t.Cleanup(func() { close(held.release) })

			// A's self-checks reach A; the CA reaches B.
			cfgA := Config{Store: storeA, Workers: 4}.WithTestCA(rig)
			serveA := selfCheckPorts(t, &cfgA)
			a, err := New(cfgA)
			require.NoError(t, err)
			serveA(a)

			// B learns of the Certificates from the list it starts with
			// (its watch delivers nothing): a validation reads the Store
			// only for the names of Certificates it knows of.
			require.NoError(t, a.Apply(ctx, rig.Issuer("default", "alpn", solver.Config{TLSALPN01: &solver.TLSALPN01Config{}})))
			tlsCert := testrig.ACMECertificate("default", "tls", "alpn", "tls.example.test")
			require.NoError(t, a.Apply(ctx, tlsCert))
			web := testrig.ACMECertificate("default", "web", "http", "web.example.test")
			require.NoError(t, a.Apply(ctx, web))

			b, err := New(Config{Store: held, Workers: 2}.WithTestCA(rig))
			require.NoError(t, err)
			atB := &validationCounter{m: b}
			rig.Serve(atB)
			testrig.Run(t, ctx, 20*time.Second, b.Run)
			select {
			case <-held.watching:
			case <-ctx.Done():
				t.Fatal("replica B never watched")
			}
			testrig.Run(t, ctx, 20*time.Second, a.Run)

			// One at a time (web's issuer comes later): a read made for one
			// challenge serves every challenge stored, so each kind of miss
			// must make its own.
			require.NoError(t, a.WaitReady(ctx, meta.RefOf(tlsCert)), "issued with B answering the CA's TLS-ALPN-01 validation")
			require.NoError(t, a.Apply(ctx, rig.Issuer("default", "http")))
			require.NoError(t, a.WaitReady(ctx, meta.RefOf(web)), "issued with B answering the CA's HTTP-01 validation")

			assert.Positive(t, atB.http.Load(), "the CA's HTTP-01 validation was answered by B")
			assert.Positive(t, atB.alpn.Load(), "the CA's TLS-ALPN-01 validation was answered by B")
			assert.Zero(t, atB.misses.Load(), "no validation reaching B went unanswered")
			assert.Equal(t, 2, rig.OrderCount(), "one order per certificate: none failed")
			assert.Positive(t, held.challengeLists.Load(), "B read the Store's Challenges")
			assert.EqualValues(t, 1, held.maxIn.Load(), "one read at a time")
			t.Logf("B read the Store's Challenges %d times", held.challengeLists.Load())
		})
	}
}
