package solver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/solver"
)

func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func toLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, "127.0.0.1:"+port)
}

func serveHTTP(t *testing.T, h http.Handler) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return ln.Addr().(*net.TCPAddr).Port
}

func TestHTTP01SolverCheck(t *testing.T) {
	ctx := ctxFor(t)
	port := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/acme-challenge/good":
			_, _ = w.Write([]byte("good.thumb\n"))
		case "/.well-known/acme-challenge/wrong":
			_, _ = w.Write([]byte("something else"))
		default:
			http.NotFound(w, r)
		}
	}))
	s := solver.HTTP01Solver{Port: port, Dial: toLoopback}
	ch := func(token string) solver.Challenge {
		return solver.Challenge{Type: solver.HTTP01, Identifier: "a.example.test", Token: token, KeyAuthorization: token + ".thumb"}
	}

	assert.NoError(t, s.Check(ctx, ch("good")))

	err := s.Check(ctx, ch("missing"))
	require.ErrorIs(t, err, solver.ErrSelfCheck)
	assert.Contains(t, err.Error(), fmt.Sprintf("GET http://a.example.test:%d/.well-known/acme-challenge/missing: 404", port))

	err = s.Check(ctx, ch("wrong"))
	require.ErrorIs(t, err, solver.ErrSelfCheck)
	assert.Contains(t, err.Error(), "is not the key authorization")

	assert.NoError(t, s.Present(ctx, ch("good")), "Present is a no-op: the Manager serves the Store")
	assert.NoError(t, s.CleanUp(ctx, ch("good")))
}

func TestTLSALPN01SolverCheck(t *testing.T) {
	ctx := ctxFor(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cl := &acme.Client{Key: key}
	cert, err := cl.TLSALPN01ChallengeCert("tok", "a.example.test")
	require.NoError(t, err)
	keyAuth, err := cl.HTTP01ChallengeResponse("tok")
	require.NoError(t, err)

	s := alpnResponder(ctx, t, cert)

	ch := solver.Challenge{Type: solver.TLSALPN01, Identifier: "a.example.test", Token: "tok", KeyAuthorization: keyAuth}
	assert.NoError(t, s.Check(ctx, ch))

	ch.KeyAuthorization = "tok.other-thumbprint"
	err = s.Check(ctx, ch)
	require.ErrorIs(t, err, solver.ErrSelfCheck)
	assert.Contains(t, err.Error(), "acmeIdentifier is not SHA-256 of the key authorization")

	ch.KeyAuthorization = keyAuth
	ch.Identifier = "b.example.test"
	err = s.Check(ctx, ch)
	require.ErrorIs(t, err, solver.ErrSelfCheck)
	assert.Contains(t, err.Error(), "does not name b.example.test")
}

func TestTLSALPN01CertPassesCheck(t *testing.T) {
	ctx := ctxFor(t)
	ch := solver.Challenge{Type: solver.TLSALPN01, Identifier: "a.example.test", Token: "tok", KeyAuthorization: "tok.thumb"}
	cert, err := solver.TLSALPN01Cert(ch, time.Now())
	require.NoError(t, err)
	s := alpnResponder(ctx, t, *cert)
	assert.NoError(t, s.Check(ctx, ch))
}

func TestReverseName(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"192.0.2.1", "1.2.0.192.in-addr.arpa"},
		{"::ffff:192.0.2.1", "1.2.0.192.in-addr.arpa"},
		{"2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, solver.ReverseName(net.ParseIP(tt.ip)), tt.ip)
	}
}

// alpnResponder serves cert to acme-tls/1 handshakes on a loopback port
// until the test ends, and returns a solver that checks against it.
func alpnResponder(ctx context.Context, t *testing.T, cert tls.Certificate) solver.TLSALPN01Solver {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{solver.ALPNProto},
	})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).HandshakeContext(ctx)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return solver.TLSALPN01Solver{Port: ln.Addr().(*net.TCPAddr).Port, Dial: toLoopback}
}
