package acmetest_test

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// http01Responder serves key authorizations on a loopback port and counts
// the validation authority's fetches.
type http01Responder struct {
	mu   sync.Mutex
	keys map[string]string // path → key authorization
	hits atomic.Int64
}

func (h *http01Responder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	ka, ok := h.keys[r.URL.Path]
	h.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.hits.Add(1)
	_, _ = w.Write([]byte(ka))
}

func startHTTP01(t *testing.T) (*http01Responder, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &http01Responder{keys: map[string]string{}}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return h, ln.Addr().(*net.TCPAddr).Port
}

func TestHTTP01IsReallyValidated(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	resp, port := startHTTP01(t)
	s := acmetest.NewServer(t, acmetest.WithHTTP01Port(port))
	cl := registeredClient(ctx, t, s)

	leaf, _, err := issue(ctx, cl, []string{"http01.example.test"}, func(cl *acme.Client, _ *acme.Authorization, c *acme.Challenge) bool {
		if c.Type != "http-01" {
			return false
		}
		ka, err := cl.HTTP01ChallengeResponse(c.Token)
		require.NoError(t, err)
		resp.mu.Lock()
		resp.keys[cl.HTTP01ChallengePath(c.Token)] = ka
		resp.mu.Unlock()
		return true
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"http01.example.test"}, leaf.DNSNames)
	assert.Positive(t, resp.hits.Load(), "the VA must have fetched the key authorization")
}

func TestHTTP01WithoutResponderIsInvalid(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	_, port := startHTTP01(t) // serves 404 for every token
	s := acmetest.NewServer(t, acmetest.WithHTTP01Port(port))
	cl := registeredClient(ctx, t, s)

	_, _, err := issue(ctx, cl, []string{"nobody.example.test"}, anyChallenge)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid")
}

// tlsALPNResponder answers acme-tls/1 handshakes with RFC 8737 certificates.
type tlsALPNResponder struct {
	mu    sync.Mutex
	certs map[string]*tls.Certificate // SNI → challenge certificate
	hits  atomic.Int64
}

func startTLSALPN01(t *testing.T) (*tlsALPNResponder, int) {
	t.Helper()
	r := &tlsALPNResponder{certs: map[string]*tls.Certificate{}}
	cfg := &tls.Config{
		NextProtos: []string{acme.ALPNProto},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			c, ok := r.certs[strings.ToLower(hello.ServerName)]
			if !ok {
				return nil, errors.New("unknown name")
			}
			r.hits.Add(1)
			return c, nil
		},
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				_ = conn.(*tls.Conn).Handshake()
				_ = conn.Close()
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return r, ln.Addr().(*net.TCPAddr).Port
}

func TestTLSALPN01IsReallyValidated(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	resp, port := startTLSALPN01(t)
	s := acmetest.NewServer(t, acmetest.WithTLSALPN01Port(port))
	cl := registeredClient(ctx, t, s)

	const name = "alpn.example.test"
	leaf, _, err := issue(ctx, cl, []string{name}, func(cl *acme.Client, _ *acme.Authorization, c *acme.Challenge) bool {
		if c.Type != "tls-alpn-01" {
			return false
		}
		cert, err := cl.TLSALPN01ChallengeCert(c.Token, name)
		require.NoError(t, err)
		resp.mu.Lock()
		resp.certs[name] = &cert
		resp.mu.Unlock()
		return true
	})
	require.NoError(t, err)
	assert.Equal(t, []string{name}, leaf.DNSNames)
	assert.Positive(t, resp.hits.Load(), "the VA must have done the acme-tls/1 handshake")
}

func TestDNS01IsReallyValidatedForApexAndWildcard(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	s := acmetest.NewServer(t)
	cl := registeredClient(ctx, t, s)

	const record = "_acme-challenge.dns.example.test"
	leaf, _, err := issue(ctx, cl, []string{"dns.example.test", "*.dns.example.test"}, func(cl *acme.Client, _ *acme.Authorization, c *acme.Challenge) bool {
		if c.Type != "dns-01" {
			return false
		}
		v, err := cl.DNS01ChallengeRecord(c.Token)
		require.NoError(t, err)
		s.AddTXT(record, v) // apex and wildcard share the name: two values
		return true
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"dns.example.test", "*.dns.example.test"}, leaf.DNSNames)
	assert.Len(t, s.TXT(record), 2)
}

func TestDNS01WithoutRecordIsInvalid(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 60*time.Second)
	s := acmetest.NewServer(t)
	cl := registeredClient(ctx, t, s)

	_, _, err := issue(ctx, cl, []string{"notxt.example.test"}, func(_ *acme.Client, _ *acme.Authorization, c *acme.Challenge) bool {
		return c.Type == "dns-01"
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid")
}
