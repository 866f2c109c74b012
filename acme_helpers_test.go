package certflow

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// acmeHarness runs a Manager (real clock) against acmetest, with the
// Manager's HTTP-01 handler and TLS config on the ports Pebble validates.
type acmeHarness struct {
	*harness
	acme       *acmetest.Server
	httpPort   int
	tlsPort    int
	httpWrap   func(http.Handler) http.Handler
	tlsServing net.Listener
}

type acmeSetup struct {
	acmeOpts []acmetest.Option
	config   func(*Config)
	store    store.Store
	httpWrap func(http.Handler) http.Handler
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

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	st := setup.store
	if st == nil {
		st = memory.New()
	}
	cfg := Config{Store: st, HTTPClient: srv.Client(), Workers: 4, BackoffMin: time.Hour}
	cfg.ACME.HTTP01Port, cfg.ACME.TLSALPN01Port, cfg.ACME.Dial = httpPort, tlsPort, srv.Dial
	if setup.config != nil {
		setup.config(&cfg)
	}
	m, err := New(cfg)
	require.NoError(t, err)
	h := &acmeHarness{harness: &harness{t: t, ctx: ctx, m: m, done: make(chan error, 1)}, acme: srv, httpPort: httpPort, tlsPort: tlsPort}
	if ms, ok := st.(*memory.Store); ok {
		h.store = ms
	}
	var handler http.Handler = m.HTTPHandler(http.NotFoundHandler())
	if setup.httpWrap != nil {
		handler = setup.httpWrap(handler)
	}
	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = httpSrv.Serve(httpL) }()
	tlsSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) }),
		ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = tlsSrv.Serve(tls.NewListener(tlsL, m.TLSConfig())) }()

	go func() { h.done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		_ = httpSrv.Close()
		_ = tlsSrv.Close()
		select {
		case <-h.done:
		case <-time.After(20 * time.Second):
			t.Errorf("Manager.Run did not return after its context was cancelled")
		}
	})
	return h
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
	ref := meta.RefOf(crt)
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

// handshake opens a TLS connection to the Manager's TLS listener for
// serverName, verified against acmetest's roots, and returns the leaf.
func (h *acmeHarness) handshake(serverName string) *tls.ConnectionState {
	h.t.Helper()
	d := tls.Dialer{Config: &tls.Config{ServerName: serverName, RootCAs: h.acme.Roots(), MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(h.ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(h.tlsPort)))
	require.NoError(h.t, err)
	defer conn.Close()
	st := conn.(*tls.Conn).ConnectionState()
	return &st
}
