package certflow

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/memory"
)

// A hundred distinct allowed names, each asked for by two concurrent real
// TLS handshakes: every handshake gets its name's certificate, and the CA
// created exactly one order per name.
func TestOnDemand_HundredNamesConcurrentlyIssuedOnceEach(t *testing.T) {
	t.Parallel() // its own CA, ports and Store; it mostly waits on the CA
	h := startOnDemandACME(t, OnDemandConfig{
		Allow: allowSuffix(".ondemand.test"), RateLimit: 1000, Burst: 200,
		MaxConcurrentPerIssuer: 25, HandshakeTimeout: onDemandTestBudget - 30*time.Second,
	}, nil)
	port := serveTLS(t, h.m)
	const names, perName = 100, 2
	var wg sync.WaitGroup
	errs := make(chan error, names*perName)
	for i := range names {
		name := fmt.Sprintf("n%d.ondemand.test", i)
		for range perName {
			wg.Go(func() {
				got, err := handshake(h.ctx, h.acme.Roots(), port, name)
				if err == nil && (len(got) != 1 || got[0] != name) {
					err = fmt.Errorf("%s: served a certificate for %v", name, got)
				}
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	orders := ordersByName(h.acme.Server)
	assert.Len(t, orders, names)
	for i := range names {
		assert.Equal(t, 1, orders[fmt.Sprintf("n%d.ondemand.test", i)], "orders of n%d", i)
	}
	assert.Equal(t, names, h.acme.OrderCount())

	// They are ordinary Certificates, labelled, listed like any other.
	crts, err := store.ListOf[certificate.Certificate](h.ctx, h.st, store.ListOptions{Kind: meta.KindCertificate,
		Namespace: "default", Labels: map[string]string{LabelOnDemand: "true", "app": "ondemand-test"}})
	require.NoError(t, err)
	assert.Len(t, crts, names)
	tree, err := h.m.Status(h.ctx, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "ondemand.n7.ondemand.test"})
	require.NoError(t, err)
	assert.Contains(t, tree.String(), "ondemand.n7.ondemand.test")
}

// Denied names, IP literals and names that are not DNS names fail their
// handshake with unrecognized_name and cost the CA nothing; a denial is
// remembered, so a second handshake does not ask the policy again.
func TestOnDemand_DeniedNamesCostNoACMERequest(t *testing.T) {
	var asked atomic.Int32
	allow := allowSuffix(".ondemand.test")
	h := startOnDemandACME(t, OnDemandConfig{Allow: func(ctx context.Context, name string) error {
		asked.Add(1)
		return allow(ctx, name)
	}}, nil)
	for _, name := range []string{"evil.example.test", "evil.example.test", "under_score.ondemand.test", "single"} {
		_, err := handshake(h.ctx, h.acme.Roots(), h.acme.TLSPort, name)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "unrecognized name", name)
	}
	assert.Equal(t, int32(1), asked.Load(), "only the valid name is asked, once")
	for _, tc := range []struct {
		name string
		want error
	}{
		{"evil.example.test", ErrOnDemandDenied},
		{"EVIL.example.test.", ErrOnDemandDenied},
		{"127.0.0.1", ErrOnDemandInvalidName},
		{"::1", ErrOnDemandInvalidName},
		{"a..b.test", ErrOnDemandInvalidName},
	} {
		_, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: tc.name})
		assert.ErrorIs(t, err, tc.want, tc.name)
	}
	assert.Equal(t, int32(1), asked.Load(), "the denial is remembered whatever the case")
	assert.Zero(t, h.acme.Requests(acmetest.EndpointNewOrder))
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(h.m.Metrics()))
	_, results := samples(t, reg, "certflow_ondemand_handshakes_total")
	assert.Equal(t, map[string]float64{`{result="denied"}`: 4, `{result="invalid"}`: 5}, results)
	crts, err := store.ListOf[certificate.Certificate](h.ctx, h.st, store.ListOptions{Kind: meta.KindCertificate})
	require.NoError(t, err)
	assert.Empty(t, crts)
}

// Two Managers sharing one Store, each asked for the same names through
// real handshakes at the same time, make one order per name: on a memory
// store shared in the process, and on two file stores opened on one
// directory, as two processes would.
func TestOnDemand_TwoReplicasIssueOnce(t *testing.T) {
	t.Parallel() // each run has its own CA, ports and Store; it mostly waits on the CA
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		st := memory.New()
		twoReplicasIssueOnce(t, st, st)
	})
	t.Run("file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		open := func() store.Store {
			// The default interval: polling five times as often cost the
			// race detector more CPU than the issuances, and the replicas
			// race each other at least as hard when they see each other
			// later.
			st, err := file.Open(dir, file.WithPollInterval(file.DefaultPollInterval), file.WithoutSync())
			require.NoError(t, err)
			t.Cleanup(func() { _ = st.Close() })
			return st
		}
		twoReplicasIssueOnce(t, open(), open())
	})
}

func twoReplicasIssueOnce(t *testing.T, st1, st2 store.Store) {
	od := OnDemandConfig{Allow: allowSuffix(".ondemand.test"), RateLimit: 100, Burst: 50,
		HandshakeTimeout: onDemandTestBudget - 30*time.Second}
	h := startOnDemandACME(t, od, st1)
	cfg := h.cfg
	cfg.Store = st2
	m2, err := New(cfg)
	require.NoError(t, err)
	startRun(t, h.ctx, m2)
	port1, port2 := serveTLS(t, h.m), serveTLS(t, m2)

	const names = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*names)
	for i := range names {
		name := fmt.Sprintf("r%d.ondemand.test", i)
		for _, port := range []int{port1, port2} {
			wg.Go(func() {
				if _, err := handshake(h.ctx, h.acme.Roots(), port, name); err != nil {
					errs <- fmt.Errorf("%s on port %d: %w", name, port, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	orders := ordersByName(h.acme.Server)
	for i := range names {
		assert.Equal(t, 1, orders[fmt.Sprintf("r%d.ondemand.test", i)], "orders of r%d", i)
	}
	assert.Equal(t, names, h.acme.OrderCount())
}

// A flood of random names, with hostile ones among them, against a policy
// allowing everything and a rate limit of 3: at most 3 orders, every other
// handshake refused with a typed error, and the memory held bounded.
func TestOnDemand_FloodHeldByRateLimit(t *testing.T) {
	const burst, maxPending, denyCache = 3, 64, 50
	h := startOnDemandACME(t, OnDemandConfig{
		Allow:     func(_ context.Context, name string) error { return nil },
		RateLimit: 1e-6, Burst: burst, MaxPending: maxPending, DenyCacheSize: denyCache,
		HandshakeTimeout: 40 * time.Second,
	}, nil)
	res := flood(t, h.m, 3000)
	assert.LessOrEqual(t, res.issued, burst)
	assert.Zero(t, res.untyped, "every refusal is typed")
	assert.LessOrEqual(t, res.maxPending, maxPending)
	assert.LessOrEqual(t, h.acme.OrderCount(), burst)
	assert.Equal(t, res.issued, h.acme.OrderCount(), "each certificate served was one order")
	assert.LessOrEqual(t, h.m.onDemand.denied.len(), denyCache)
	t.Logf("flood: %d names in %s (%.0f/s): %d issued, %d rate limited, %d busy, %d invalid",
		res.total, res.took, float64(res.total)/res.took.Seconds(), res.issued, res.rateLimited, res.busy, res.invalid)
}

// The same flood against a policy denying everything: no ACME request at
// all, and the remembered denials never exceed their cap.
func TestOnDemand_FloodDeniedCostsNothing(t *testing.T) {
	const denyCache = 100
	h := startOnDemandACME(t, OnDemandConfig{
		Allow:         func(_ context.Context, name string) error { return errors.New("no") },
		DenyCacheSize: denyCache,
	}, nil)
	res := flood(t, h.m, 3000)
	assert.Zero(t, res.issued)
	assert.Zero(t, res.untyped)
	assert.Zero(t, h.acme.Requests(acmetest.EndpointNewOrder))
	assert.Equal(t, denyCache, h.m.onDemand.denied.len())
	assert.Zero(t, h.m.onDemand.pending())
}

// A handshake waits HandshakeTimeout at most, then fails with an alert;
// the error says why.
func TestOnDemand_HandshakeTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	h := startOnDemandACME(t, OnDemandConfig{
		Allow: func(ctx context.Context, _ string) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
		HandshakeTimeout: 200 * time.Millisecond, DecisionTimeout: time.Minute,
	}, nil)
	_, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: "slow.ondemand.test"})
	require.ErrorIs(t, err, ErrOnDemandTimeout)
	_, err = handshake(h.ctx, h.acme.Roots(), h.acme.TLSPort, "slow.ondemand.test")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "internal error")
}

type floodResult struct {
	total, issued, rateLimited, busy, invalid, denied, untyped, maxPending int
	took                                                                   time.Duration
}

// flood calls m.GetCertificate for n random names (one in ten hostile: IP
// literals, underscores, over-long, Unicode) from 32 goroutines.
func flood(t *testing.T, m *Manager, n int) floodResult {
	t.Helper()
	hostile := []string{"10.0.0.1", "[::1]", "::ffff:1.2.3.4", "a_b.flood.test", "ünï.flood.test",
		string(make([]byte, 300)), "x", "1.2.3.999", "-a.flood.test", "*.flood.test"}
	var mu sync.Mutex
	var res floodResult
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				name := fmt.Sprintf("r%x-%d.flood.test", time.Now().UnixNano(), i)
				if i%10 == 0 {
					name = hostile[(i/10)%len(hostile)]
				}
				cert, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: name})
				p := m.onDemand.pending()
				mu.Lock()
				res.total++
				res.maxPending = max(res.maxPending, p)
				switch {
				case err == nil && cert != nil:
					res.issued++
				case errors.Is(err, ErrOnDemandRateLimited):
					res.rateLimited++
				case errors.Is(err, ErrOnDemandBusy):
					res.busy++
				case errors.Is(err, ErrOnDemandInvalidName):
					res.invalid++
				case errors.Is(err, ErrOnDemandDenied):
					res.denied++
				default:
					res.untyped++
					t.Errorf("%q: %v", name, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.took = time.Since(start)
	return res
}

// startRun runs m until the test ends, and returns once Run has started.
func startRun(t *testing.T, ctx context.Context, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	// Until Run has started, an on-demand handshake is refused as not
	// running (a replica's first handshakes were, now and then).
	for {
		running, changed := m.run.state()
		if running {
			return
		}
		select {
		case <-changed:
		case <-done:
			t.Fatal("Run returned before it started")
		case <-ctx.Done():
			t.Fatalf("Run did not start: %v", ctx.Err())
		}
	}
}

// serveTLS serves m.TLSConfig on a loopback port until the test ends,
// completing each handshake, and returns the port. The first server-side
// handshake errors are reported if the test fails.
func serveTLS(t testing.TB, m *Manager) int {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", m.TLSConfig())
	require.NoError(t, err)
	var mu sync.Mutex
	var failed []string
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		if t.Failed() && len(failed) > 0 {
			t.Logf("server-side handshake errors (first %d):\n%s", len(failed), strings.Join(failed, "\n"))
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err != nil {
					mu.Lock()
					if len(failed) < 10 {
						failed = append(failed, err.Error())
					}
					mu.Unlock()
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// A name whose issuance failed answers its next handshakes from memory
// for DenyTTL: neither the policy nor the CA is asked again meanwhile.
func TestOnDemand_FailedIssuanceRemembered(t *testing.T) {
	var asked atomic.Int32
	allow := allowSuffix(".ondemand.test")
	h := startOnDemandACME(t, OnDemandConfig{Allow: func(ctx context.Context, name string) error {
		asked.Add(1)
		return allow(ctx, name)
	}}, nil, acmetest.WithDomainBlocklist("blocked.ondemand.test"))
	hello := &tls.ClientHelloInfo{ServerName: "blocked.ondemand.test"}
	_, err := h.m.GetCertificate(hello)
	require.ErrorIs(t, err, ErrIssuanceFailed)
	orders := h.acme.Requests(acmetest.EndpointNewOrder)
	assert.Positive(t, orders)
	_, err = h.m.GetCertificate(hello)
	assert.ErrorIs(t, err, ErrIssuanceFailed)
	assert.Equal(t, int32(1), asked.Load())
	assert.Equal(t, orders, h.acme.Requests(acmetest.EndpointNewOrder))
}

// MaxConcurrentPerIssuer bounds the on-demand Certificates of one issuer
// being issued at once: no snapshot of the Store, taken at every change,
// holds more of them not yet Ready.
func TestOnDemand_ConcurrencyPerIssuer(t *testing.T) {
	const limit, names = 2, 8
	tmpl := onDemandTemplate()
	tmpl.Spec.IssuerRef.Name = "ca"
	h := startManager(t, func(c *Config) {
		c.OnDemand = &OnDemandConfig{Allow: allowSuffix(".ondemand.test"), Template: tmpl,
			MaxConcurrentPerIssuer: limit, RateLimit: 100, Burst: names}
	})
	h.setupCA("default", "ca")
	res, err := h.store.List(h.ctx, store.ListOptions{})
	require.NoError(t, err)
	events, err := h.store.Watch(h.ctx, res.Revision)
	require.NoError(t, err)
	var most atomic.Int32
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for ev := range events {
			if ev.Ref.Kind != meta.KindCertificate {
				continue
			}
			crts, err := store.ListOf[certificate.Certificate](h.ctx, h.store, store.ListOptions{Kind: meta.KindCertificate,
				Labels: map[string]string{LabelOnDemand: "true"}})
			if err != nil {
				return
			}
			pending := int32(0)
			for _, c := range crts {
				if !c.Status.Conditions.IsTrue(meta.ConditionReady) {
					pending++
				}
			}
			if pending > most.Load() {
				most.Store(pending)
			}
			if len(crts) == names && pending == 0 {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range names {
		wg.Go(func() {
			_, err := h.m.GetCertificate(&tls.ClientHelloInfo{ServerName: fmt.Sprintf("c%d.ondemand.test", i)})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	<-watched
	assert.LessOrEqual(t, most.Load(), int32(limit))
	assert.Positive(t, most.Load())
}
