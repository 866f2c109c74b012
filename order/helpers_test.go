package order_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/acmetest/acmeleak"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, acmeleak.IgnoreGoroutines()...)
}

const ns = "default"

// testCtx returns a context bounded by d, cancelled when t ends.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// recorder keeps events for assertions.
type recorder struct {
	mu     sync.Mutex
	events []meta.Event
}

func (r *recorder) Event(obj meta.Ref, typ meta.EventType, reason meta.Reason, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, meta.Event{Object: obj, Type: typ, Reason: reason, Message: msg})
}

func (r *recorder) has(obj meta.Ref, reason meta.Reason) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if e.Object == obj && e.Reason == reason {
			return true
		}
	}
	return false
}

// staticClients hands out one registered client for every issuer.
type staticClients struct{ cl *acme.Client }

func (s staticClients) Client(context.Context, issuer.Object) (*acme.Client, error) { return s.cl, nil }

// noRetry429 is the retry policy of the issuer's clients: only a bad nonce
// is retried inside a call; a 429 or a 5xx reaches the reconciler, which
// records it and schedules the next visit.
func noRetry429(n int, _ *http.Request, res *http.Response) time.Duration {
	if res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 || n > 3 {
		return 0
	}
	return time.Millisecond
}

// responder answers HTTP-01 from the Store like the Manager will: the key of
// a serving HTTP-01 Challenge with the requested token. If wrong is set it
// answers garbage.
type responder struct {
	st    store.Reader
	wrong bool
	hold  chan struct{} // if set, answers wait until it is closed
}

func (h *responder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.hold != nil {
		select {
		case <-h.hold:
		case <-r.Context().Done():
			return
		}
	}
	token := strings.TrimPrefix(r.URL.Path, "/.well-known/acme-challenge/")
	chs, err := store.ListOf[challenge.Challenge](r.Context(), h.st, store.ListOptions{Kind: meta.KindChallenge})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, ch := range chs {
		if ch.Spec.Type == solver.HTTP01 && ch.Spec.Token == token && challenge.Serving(ch) {
			if h.wrong {
				_, _ = w.Write([]byte("not-the-key-authorization"))
				return
			}
			_, _ = w.Write([]byte(ch.Spec.Key))
			return
		}
	}
	http.NotFound(w, r)
}

func startResponder(t *testing.T, h http.Handler) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return ln.Addr().(*net.TCPAddr).Port
}

// loopback dials 127.0.0.1 whatever name is asked, as acmetest's DNS does.
func loopback(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, "127.0.0.1:"+port)
}

// countingSolver wraps a solver and counts CleanUp calls.
type countingSolver struct {
	solver.Solver
	cleanups atomic.Int64
}

// Check passes the inner solver's self-check through (none if it has none).
func (c *countingSolver) Check(ctx context.Context, ch solver.Challenge) error {
	if chk, ok := c.Solver.(solver.Checker); ok {
		return chk.Check(ctx, ch)
	}
	return nil
}

func (c *countingSolver) CleanUp(ctx context.Context, ch solver.Challenge) error {
	c.cleanups.Add(1)
	return c.Solver.CleanUp(ctx, ch)
}

// env is one Pebble, one Store, the reconcilers and an HTTP-01 responder.
type env struct {
	t      *testing.T
	srv    *acmetest.Server
	st     *memory.Store
	clk    clock.Clock
	events *recorder
	deps   reconcile.Deps
	cl     *acme.Client
	solver solver.Solver
	orders *order.Reconciler
	chals  *challenge.Reconciler
	iss    *issuer.Issuer
	rec    *challenge.RetryAfterRecorder
}

type envConfig struct {
	clk       clock.Clock
	wrong     bool // responder serves a wrong key authorization
	noCheck   bool // no self-check (so the CA is the one to fail)
	acmeOpts  []acmetest.Option
	orderOpts order.Options
	solvers   []solver.Config
	preferred string
	solver    func(*acmetest.Server) solver.Solver // default: HTTP-01 with self-check
	tlsALPN   bool                                 // serve and self-check TLS-ALPN-01 instead
	hold      chan struct{}                        // HTTP-01 answers wait for it to close
}

func newEnv(ctx context.Context, t *testing.T, cfg envConfig) *env {
	t.Helper()
	clk := cfg.clk
	if clk == nil {
		clk = clock.Real{}
	}
	st := memory.New(memory.WithClock(clk))
	port := startResponder(t, &responder{st: st, wrong: cfg.wrong, hold: cfg.hold})
	acmeOpts := append([]acmetest.Option{acmetest.WithHTTP01Port(port)}, cfg.acmeOpts...)
	tlsPort := 0
	if cfg.tlsALPN {
		tlsPort = startALPNResponder(ctx, t, st)
		acmeOpts = append(acmeOpts, acmetest.WithTLSALPN01Port(tlsPort))
	}
	srv := acmetest.NewServer(t, acmeOpts...)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	rec := &challenge.RetryAfterRecorder{Base: srv.Client().Transport}
	cl := &acme.Client{Key: key, DirectoryURL: srv.DirectoryURL(), HTTPClient: &http.Client{Transport: rec}, RetryBackoff: noRetry429}
	_, err = cl.Register(ctx, &acme.Account{}, acme.AcceptTOS)
	require.NoError(t, err)

	solvers := cfg.solvers
	if solvers == nil {
		solvers = []solver.Config{{HTTP01: &solver.HTTP01Config{}}}
	}
	iss := &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              srv.DirectoryURL(),
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"},
			PreferredChain:      cfg.preferred,
			Solvers:             solvers,
		}},
	}
	require.NoError(t, st.Create(ctx, iss))

	e := &env{t: t, srv: srv, st: st, clk: clk, events: &recorder{}, cl: cl, iss: iss, rec: rec}
	e.deps = reconcile.Deps{Store: st, Clock: clk, Events: e.events}
	var s solver.Solver = solver.HTTP01Solver{Port: port, Dial: loopback}
	if cfg.solver != nil {
		s = cfg.solver(srv)
	}
	if cfg.tlsALPN {
		s = solver.TLSALPN01Solver{Port: tlsPort, Dial: loopback}
	}
	if cfg.noCheck {
		s = struct{ solver.Solver }{s} // hides Check
	}
	e.solver = &countingSolver{Solver: s}
	oopts := cfg.orderOpts
	oopts.Clients = staticClients{cl}
	oopts.RetryAfter = rec.RetryAfter
	if oopts.PollInterval == 0 {
		oopts.PollInterval = 20 * time.Millisecond
	}
	e.orders = order.NewReconciler(e.deps, oopts)
	e.chals = e.newChallengeReconciler()
	return e
}

// newChallengeReconciler builds a fresh challenge reconciler on e's Store,
// as a restarted process would.
func (e *env) newChallengeReconciler() *challenge.Reconciler {
	return challenge.NewReconciler(e.deps, challenge.Options{
		OrderState:        order.OwnerState,
		Clients:           staticClients{e.cl},
		SolverFor:         func(context.Context, *challenge.Challenge) (solver.Solver, error) { return e.solver, nil },
		RetryAfter:        e.rec.RetryAfter,
		PollInterval:      20 * time.Millisecond,
		SelfCheckInterval: 20 * time.Millisecond,
		SelfCheckTimeout:  10 * time.Second,
	})
}

// newOrder creates an Order for names as the request reconciler would.
func (e *env) newOrder(ctx context.Context, names ...string) meta.Ref {
	e.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(e.t, err)
	var dnsNames, ipStrs []string
	var ips []net.IP
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			ips, ipStrs = append(ips, ip), append(ipStrs, n)
		} else {
			dnsNames = append(dnsNames, n)
		}
	}
	csr, err := pki.CreateCSR(key, pki.CSRTemplate{DNSNames: dnsNames, IPAddresses: ips})
	require.NoError(e.t, err)
	spec := order.Spec{Request: csr, IssuerRef: meta.IssuerRef{Name: "acme"}, DNSNames: dnsNames, IPAddresses: ipStrs}
	o := &order.Order{
		TypeMeta: meta.TypeMeta{APIVersion: meta.APIVersionACME, Kind: meta.KindOrder},
		ObjectMeta: meta.ObjectMeta{
			Namespace: ns,
			Name:      order.Name("req-1", "", spec),
			OwnerRefs: []meta.Ref{{Kind: meta.KindCertificateRequest, Namespace: ns, Name: "req-1"}},
		},
		Spec: spec,
	}
	require.NoError(e.t, e.st.Create(ctx, o))
	return meta.RefOf(o)
}

// readyOrder creates an Order for name and drives it until the CA
// says it is ready to be finalized: its challenge valid, nothing finalized
// yet (the next visit of the order would finalize).
func (e *env) readyOrder(ctx context.Context, t *testing.T, name string) meta.Ref {
	t.Helper()
	ref := e.newOrder(ctx, name)
	_, err := e.orders.Reconcile(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, challenge.StateValid, e.settle(ctx, meta.RefOf(e.challenges(ctx, ref)[0])).Status.State)
	ao, err := e.cl.GetOrder(ctx, e.getOrder(ctx, ref).Status.URL)
	require.NoError(t, err)
	require.Equal(t, acme.StatusReady, ao.Status)
	require.False(t, e.getOrder(ctx, ref).Status.Finalizing)
	return ref
}

func (e *env) getOrder(ctx context.Context, ref meta.Ref) *order.Order {
	e.t.Helper()
	o := &order.Order{}
	require.NoError(e.t, e.st.Get(ctx, ref, o))
	return o
}

func (e *env) challenges(ctx context.Context, ref meta.Ref) []*challenge.Challenge {
	e.t.Helper()
	chs, err := store.ListOf[challenge.Challenge](ctx, e.st, store.ListOptions{Kind: meta.KindChallenge, Owner: &ref})
	require.NoError(e.t, err)
	return chs
}

// drive plays the Manager for one order with orders and chals: it runs each
// object when due (at its `next`, at once after an error) until the order
// is final and its challenges are settled (deleted when valid, cleaned up
// otherwise), or ctx ends.
func (e *env) drive(ctx context.Context, ref meta.Ref, orders *order.Reconciler, chals *challenge.Reconciler) *order.Order {
	e.t.Helper()
	due := map[meta.Ref]time.Time{}
	run := func(r reconcile.Reconciler, ref meta.Ref) {
		if at, ok := due[ref]; ok && !at.IsZero() && time.Now().Before(at) {
			return
		}
		next, err := r.Reconcile(ctx, ref)
		if err != nil && !errors.Is(err, store.ErrConflict) {
			e.t.Logf("reconcile %s: %v", ref, err)
			next = time.Now().Add(50 * time.Millisecond)
		}
		if next.IsZero() {
			// Nothing scheduled: the Manager would wait for a change; poll
			// slowly so that children's changes are seen.
			next = time.Now().Add(20 * time.Millisecond)
		}
		due[ref] = next
	}
	versions := map[meta.Ref]string{}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		run(orders, ref)
		for _, ch := range e.challenges(ctx, ref) {
			run(chals, meta.RefOf(ch))
		}
		// Like the Manager, re-run the order at once when a child changed.
		seen := map[meta.Ref]string{}
		for _, ch := range e.challenges(ctx, ref) {
			seen[meta.RefOf(ch)] = ch.ObjectMeta.ResourceVersion
		}
		if !maps.Equal(seen, versions) {
			delete(due, ref)
		}
		versions = seen
		o := e.getOrder(ctx, ref)
		if o.Status.State.IsFinal() && e.settled(o, e.challenges(ctx, ref)) {
			return o
		}
		select {
		case <-ctx.Done():
			e.t.Fatalf("order %s not settled: state %q reason %q: %v", ref, o.Status.State, o.Status.Reason, ctx.Err())
		case <-tick.C:
		}
	}
}

func (e *env) settled(o *order.Order, chs []*challenge.Challenge) bool {
	if o.Status.State == order.StateValid {
		return len(chs) == 0
	}
	for _, ch := range chs {
		if !ch.Status.CleanedUp {
			return false
		}
	}
	return true
}

// txtSolver presents DNS-01 in acmetest's DNS server, as a provider would,
// sharing one RRset between an apex and its wildcard.
type txtSolver struct{ srv *acmetest.Server }

func (s txtSolver) Present(_ context.Context, ch solver.Challenge) error {
	s.srv.AddTXT(ch.RecordName(), ch.DNS01Value())
	return nil
}

func (s txtSolver) CleanUp(_ context.Context, ch solver.Challenge) error {
	s.srv.RemoveTXT(ch.RecordName(), ch.DNS01Value())
	return nil
}

// startALPNResponder answers acme-tls/1 handshakes from the Store like the
// Manager's GetCertificate will.
func startALPNResponder(ctx context.Context, t *testing.T, st store.Reader) int {
	t.Helper()
	cfg := &tls.Config{
		NextProtos: []string{solver.ALPNProto},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			chs, err := store.ListOf[challenge.Challenge](hello.Context(), st, store.ListOptions{Kind: meta.KindChallenge})
			if err != nil {
				return nil, err
			}
			for _, ch := range chs {
				if ch.Spec.Type == solver.TLSALPN01 && challenge.Serving(ch) && (ch.Spec.DNSName == hello.ServerName || hello.ServerName == "") {
					return solver.TLSALPN01Cert(ch.Info(), time.Now())
				}
			}
			return nil, errors.New("no challenge for " + hello.ServerName)
		},
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	done := make(chan struct{})
	var wg sync.WaitGroup
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				_ = c.(*tls.Conn).HandshakeContext(hctx)
				_ = c.Close()
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done; wg.Wait() })
	return ln.Addr().(*net.TCPAddr).Port
}

// settle runs the challenge reconciler until the CA's verdict is in and the
// challenge is cleaned up, so that no validation outlives the test. A fake
// clock is moved along with it.
func (e *env) settle(ctx context.Context, ref meta.Ref) *challenge.Challenge {
	e.t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := e.chals.Reconcile(ctx, ref); err != nil {
			e.t.Logf("reconcile %s: %v", ref, err)
		}
		ch := &challenge.Challenge{}
		require.NoError(e.t, e.st.Get(ctx, ref, ch))
		if ch.Status.State.IsFinal() && ch.Status.CleanedUp {
			return ch
		}
		if f, ok := e.clk.(*clock.Fake); ok {
			f.Advance(time.Second)
		}
		select {
		case <-ctx.Done():
			e.t.Fatalf("challenge %s not settled: %+v", ref, ch.Status)
		case <-tick.C:
		}
	}
}
