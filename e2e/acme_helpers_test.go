package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// acmeHarness runs a Manager (real clock) against acmetest, with the
// Manager's HTTP-01 handler and TLS config on the ports Pebble validates.
// The listeners serve whichever Manager runs at the moment, so a test can
// stop the Manager and start another one (a restarted process) on the same
// ports.
type acmeHarness struct {
	*harness
	acme     *acmetest.Server
	httpPort int
	tlsPort  int
	// st is the Store of the running Manager (h.store is set only when it is
	// a memory store).
	st    store.Store
	cfg   Config
	cur   atomic.Pointer[Manager]
	mu    sync.Mutex
	runMu sync.Mutex
	stop  context.CancelFunc
}

type acmeSetup struct {
	acmeOpts []acmetest.Option
	config   func(*Config)
	store    store.Store
	httpWrap func(http.Handler) http.Handler
	// transport wraps the RoundTripper the Manager talks to the CA with.
	transport func(http.RoundTripper) http.RoundTripper
}

func listenLoopback(t *testing.T) (net.Listener, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l, l.Addr().(*net.TCPAddr).Port
}

func startACME(t *testing.T, setup acmeSetup) *acmeHarness {
	t.Helper()
	httpL, httpPort := listenLoopback(t)
	tlsL, tlsPort := listenLoopback(t)
	opts := append([]acmetest.Option{acmetest.WithHTTP01Port(httpPort), acmetest.WithTLSALPN01Port(tlsPort)}, setup.acmeOpts...)
	srv := acmetest.NewServer(t, opts...)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	st := setup.store
	if st == nil {
		st = memory.New()
	}
	client := srv.Client()
	if setup.transport != nil {
		client = &http.Client{Transport: setup.transport(client.Transport), Timeout: client.Timeout}
	}
	cfg := Config{Store: st, HTTPClient: client, Workers: 4, BackoffMin: time.Hour}
	cfg.ACME.HTTP01Port, cfg.ACME.TLSALPN01Port, cfg.ACME.Dial = httpPort, tlsPort, srv.Dial
	if setup.config != nil {
		setup.config(&cfg)
	}
	h := &acmeHarness{harness: &harness{t: t, ctx: ctx}, acme: srv, httpPort: httpPort, tlsPort: tlsPort, cfg: cfg}
	h.startManager(st)

	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.cur.Load().HTTPHandler(http.NotFoundHandler()).ServeHTTP(w, r)
	})
	if setup.httpWrap != nil {
		handler = setup.httpWrap(handler)
	}
	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = httpSrv.Serve(httpL) }()
	tlsSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) }),
		ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return h.cur.Load().TLSConfig(), nil
	}}
	go func() { _ = tlsSrv.Serve(tls.NewListener(tlsL, tlsCfg)) }()

	t.Cleanup(func() {
		h.stopManager()
		cancel()
		_ = httpSrv.Close()
		_ = tlsSrv.Close()
	})
	return h
}

// startManager runs a new Manager with the harness's Config on st.
func (h *acmeHarness) startManager(st store.Store) {
	h.t.Helper()
	cfg := h.cfg
	cfg.Store = st
	m, err := New(cfg)
	require.NoError(h.t, err)
	runCtx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	h.mu.Lock()
	h.m, h.st, h.done, h.stop = m, st, done, cancel
	h.store, _ = st.(*memory.Store)
	h.mu.Unlock()
	h.cur.Store(m)
	go func() { done <- m.Run(runCtx) }()
}

// stopManager cancels the running Manager and waits until Run returned.
func (h *acmeHarness) stopManager() {
	h.mu.Lock()
	stop, done := h.stop, h.done
	h.stop = nil
	h.mu.Unlock()
	if stop == nil {
		return
	}
	stop()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		h.t.Errorf("Manager.Run did not return after its context was cancelled")
	}
}

// acmeIssuer is an ACME Issuer for acmetest with the given solvers.
func (h *acmeHarness) acmeIssuer(ns, name string, solvers ...solver.Config) *issuer.Issuer {
	if len(solvers) == 0 {
		solvers = []solver.Config{{HTTP01: &solver.HTTP01Config{}}}
	}
	return &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              h.acme.DirectoryURL(),
			Email:               "ops@example.test",
			PrivateKeySecretRef: meta.LocalRef{Name: name + "-account"},
			Solvers:             solvers,
		}},
	}
}

// issue applies iss (if not nil) and a certificate for names and waits
// until it is Ready.
func (h *acmeHarness) issue(iss *issuer.Issuer, crt *certificate.Certificate) *certificate.Certificate {
	h.t.Helper()
	if iss != nil {
		require.NoError(h.t, h.m.Apply(h.ctx, iss))
	}
	require.NoError(h.t, h.m.Apply(h.ctx, crt))
	return h.waitReady(meta.RefOf(crt))
}

// waitReady waits until the Certificate named ref is Ready and returns it.
func (h *acmeHarness) waitReady(ref meta.Ref) *certificate.Certificate {
	h.t.Helper()
	if err := h.m.WaitReady(h.ctx, ref); err != nil {
		st, _ := h.m.Status(context.Background(), ref)
		h.t.Fatalf("%s not ready: %v\n%v", ref, err, st)
	}
	got := &certificate.Certificate{}
	require.NoError(h.t, h.m.Get(h.ctx, ref, got))
	return got
}

func acmeCertificate(ns, name, issuerName string, names ...string) *certificate.Certificate {
	c := testCertificate(ns, name, issuerName, names...)
	c.Spec.Duration = nil
	return c
}

// tlsDial opens a TLS connection to the Manager's TLS listener for
// serverName, verified against acmetest's roots.
func (h *acmeHarness) tlsDial(serverName string) *tls.Conn {
	h.t.Helper()
	d := tls.Dialer{Config: &tls.Config{ServerName: serverName, RootCAs: h.acme.Roots(), MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(h.ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(h.tlsPort)))
	require.NoError(h.t, err)
	return conn.(*tls.Conn)
}

// handshake opens a TLS connection to the Manager's TLS listener for
// serverName, verified against acmetest's roots, and returns its state.
func (h *acmeHarness) handshake(serverName string) *tls.ConnectionState {
	h.t.Helper()
	conn := h.tlsDial(serverName)
	defer conn.Close()
	st := conn.ConnectionState()
	return &st
}

// awaitStore blocks until cond holds, re-checking it on every change of the
// running Manager's Store, or fails the test at the harness deadline.
func (h *acmeHarness) awaitStore(what string, cond func() bool) {
	h.t.Helper()
	st := h.st
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	res, err := st.List(ctx, store.ListOptions{Kind: "none"})
	require.NoError(h.t, err)
	events, err := st.Watch(ctx, res.Revision)
	require.NoError(h.t, err)
	for !cond() {
		select {
		case <-h.ctx.Done():
			h.t.Fatalf("timed out waiting until %s", what)
		case ev, ok := <-events:
			if !ok || ev.Err != nil {
				res, err := st.List(ctx, store.ListOptions{Kind: "none"})
				require.NoError(h.t, err)
				events, err = st.Watch(ctx, res.Revision)
				require.NoError(h.t, err)
			}
		}
	}
}

// awaitManager blocks until cond holds, re-checking it whenever the running
// Manager has observed a change of ref (so its serving cache already holds
// every earlier change), or fails the test at the harness deadline.
func (h *acmeHarness) awaitManager(ref meta.Ref, what string, cond func() bool) {
	h.t.Helper()
	changed, stop := h.m.changes.subscribe(ref)
	defer stop()
	for !cond() {
		select {
		case <-h.ctx.Done():
			st, _ := h.m.Status(context.Background(), ref)
			h.t.Fatalf("timed out waiting until %s\n%v", what, st)
		case <-changed:
		}
	}
}

// recordingStore remembers every object created through it.
type recordingStore struct {
	store.Store
	mu      sync.Mutex
	created []meta.Ref
	// challengeTypes holds the type of every Challenge created.
	challengeTypes []solver.Type
}

func (s *recordingStore) Create(ctx context.Context, obj meta.Object) error {
	err := s.Store.Create(ctx, obj)
	if err == nil {
		s.mu.Lock()
		s.created = append(s.created, meta.RefOf(obj))
		if ch, ok := obj.(*challenge.Challenge); ok {
			s.challengeTypes = append(s.challengeTypes, ch.Spec.Type)
		}
		s.mu.Unlock()
	}
	return err
}

// createdOf lists the objects of kind created so far.
func (s *recordingStore) createdOf(kind meta.Kind) []meta.Ref {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []meta.Ref
	for _, r := range s.created {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func (s *recordingStore) types() []solver.Type {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]solver.Type(nil), s.challengeTypes...)
}
