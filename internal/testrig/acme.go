package testrig

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// Serving is what a Manager offers the CA's validation: its HTTP-01
// handler and its TLS config (which answers TLS-ALPN-01).
type Serving interface {
	HTTPHandler(fallback http.Handler) http.Handler
	TLSConfig() *tls.Config
}

// ACME is an acmetest server with listeners on the HTTP-01 and TLS-ALPN-01
// ports it validates. The listeners serve whichever Serving was handed to
// Serve last, so a test can stop a Manager and start another one (a
// restarted process) on the same ports. The TLS listener answers "hello"
// over HTTP once the handshake is done.
type ACME struct {
	*acmetest.Server
	HTTPPort, TLSPort int
	cur               atomic.Pointer[Serving]
}

// ListenLoopback listens on a free loopback port until the test ends.
func ListenLoopback(t testing.TB) (net.Listener, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l, l.Addr().(*net.TCPAddr).Port
}

// StartACME starts acmetest with opts and the listeners; httpWrap, if not
// nil, wraps the HTTP-01 handler. Everything stops when the test ends.
func StartACME(t testing.TB, httpWrap func(http.Handler) http.Handler, opts ...acmetest.Option) *ACME {
	t.Helper()
	httpL, httpPort := ListenLoopback(t)
	tlsL, tlsPort := ListenLoopback(t)
	opts = append([]acmetest.Option{acmetest.WithHTTP01Port(httpPort), acmetest.WithTLSALPN01Port(tlsPort)}, opts...)
	a := &ACME{Server: acmetest.NewServer(t, opts...), HTTPPort: httpPort, TLSPort: tlsPort}

	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*a.cur.Load()).HTTPHandler(http.NotFoundHandler()).ServeHTTP(w, r)
	})
	if httpWrap != nil {
		handler = httpWrap(handler)
	}
	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = httpSrv.Serve(httpL) }()
	tlsSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) }),
		ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		return (*a.cur.Load()).TLSConfig(), nil
	}}
	go func() { _ = tlsSrv.Serve(tls.NewListener(tlsL, tlsCfg)) }()
	t.Cleanup(func() {
		_ = httpSrv.Close()
		_ = tlsSrv.Close()
	})
	return a
}

// Serve makes the listeners serve s.
func (a *ACME) Serve(s Serving) { a.cur.Store(&s) }

// Issuer is an ACME Issuer for this server with the given solvers (one
// HTTP-01 solver if none).
func (a *ACME) Issuer(ns, name string, solvers ...solver.Config) *issuer.Issuer {
	if len(solvers) == 0 {
		solvers = []solver.Config{{HTTP01: &solver.HTTP01Config{}}}
	}
	return &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              a.DirectoryURL(),
			Email:               "ops@example.test",
			PrivateKeySecretRef: meta.LocalRef{Name: name + "-account"},
			Solvers:             solvers,
		}},
	}
}

// PebbleVAUserAgent starts the User-Agent of Pebble's validation authority
// (va.go userAgentBase in Pebble v2.10.3).
const PebbleVAUserAgent = "LetsEncrypt-Pebble-VA"

// LieToTheCA answers Pebble's validation requests with a wrong key
// authorization and everyone else (the Manager's self-check) truthfully.
func LieToTheCA(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("User-Agent"), PebbleVAUserAgent) {
			_, _ = w.Write([]byte("not-the-key-authorization"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
