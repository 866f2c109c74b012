package acmetest

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Server is an in-process ACME server (Pebble) with an in-process DNS server.
// Create it with Start or NewServer; its methods are safe for concurrent use.
// The zero value is not usable.
type Server struct {
	cfg     config
	pebble  *pebbleParts
	front   *front
	dns     *dnsServer
	http    *httptest.Server
	closing chan struct{}

	closeOnce sync.Once
}

// startTimeout bounds the start of the DNS server.
const startTimeout = 10 * time.Second

// Start starts a Server: the DNS server, then Pebble's parts behind an
// httptest TLS server on 127.0.0.1. Call Close when done. Errors wrap
// ErrInvalidOption for invalid options.
func Start(opts ...Option) (*Server, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if err := errors.Join(cfg.invalid...); err != nil {
		return nil, fmt.Errorf("acmetest: start: %w", err)
	}
	logger := cfg.logger
	if logger == nil {
		logger = log.New(io.Discard, "", 0)
	}

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	dnsSrv, err := startDNS(ctx, cfg.answerAAAA)
	if err != nil {
		return nil, err
	}
	resolver := dnsSrv.addr
	if cfg.resolver != "" {
		resolver = cfg.resolver
	}
	parts, err := buildPebble(&cfg, logger, resolver)
	if err != nil {
		dnsSrv.close(context.Background())
		return nil, err
	}

	s := &Server{cfg: cfg, pebble: parts, dns: dnsSrv, closing: make(chan struct{})}
	s.front = newFront(parts, cfg.faults, !cfg.asyncFinalize, s.closing)
	s.front.ips = ipPolicy{restricted: cfg.ipRestricted, profiles: cfg.ipProfiles}
	// httptest listens on 127.0.0.1 and serves HTTP/1.1 only, so
	// FaultDropConnection can hijack the connection.
	s.http = httptest.NewUnstartedServer(s.front)
	s.http.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.http.StartTLS()
	// net/http keeps 2 idle connections per host: clients sharing Client
	// beyond that open a TLS connection (an RSA handshake in this process)
	// for most requests, which cost more than Pebble's answers.
	if t, ok := s.http.Client().Transport.(*http.Transport); ok {
		t.MaxIdleConnsPerHost = clientIdleConns
	}
	return s, nil
}

// clientIdleConns is how many idle connections Client keeps to the
// server: more than the concurrent clients of any test here.
const clientIdleConns = 128

// NewServer starts a Server for a test or benchmark, fails tb if it cannot,
// and closes it when tb ends (t.Cleanup). With WithTestLog, Pebble's log goes
// to tb.Logf.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	var tw *testLogWriter
	if cfg.testLog {
		tw = &testLogWriter{tb: tb}
		opts = append(opts, WithLogger(log.New(tw, "pebble: ", 0)))
	}
	s, err := Start(opts...)
	if err != nil {
		tb.Fatalf("acmetest: %v", err)
	}
	tb.Cleanup(func() {
		s.Close()
		if tw != nil {
			tw.stop()
		}
	})
	return s
}

// Close stops the HTTP and DNS servers. In-flight FaultDelay waits end at
// once. It is safe to call more than once. Pebble's validation authority
// keeps one goroutine forever (see acmeleak.IgnoreGoroutines).
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.http.Close()
		s.dns.close(context.Background())
	})
}

// URL returns the base URL of the HTTPS server, e.g. https://127.0.0.1:4321.
// Pebble's management endpoints (/roots/0, /intermediates/0, …) live there.
func (s *Server) URL() string { return s.http.URL }

// DirectoryURL returns the ACME directory URL.
func (s *Server) DirectoryURL() string { return s.http.URL + "/dir" }

// Client returns an HTTP client that trusts the server's TLS certificate; use
// it as the ACME client's HTTP client. It keeps up to 128 idle connections,
// so that many concurrent clients sharing it reuse theirs. It is closed by
// Close.
func (s *Server) Client() *http.Client { return s.http.Client() }

// TLSCertPEM returns the PEM of the HTTPS server's self-signed certificate,
// for clients configured with a CA bundle instead of an *http.Client.
func (s *Server) TLSCertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.http.Certificate().Raw})
}

// NumRoots returns the number of issuance hierarchies: 1 + alternate roots.
func (s *Server) NumRoots() int { return s.pebble.ca.GetNumberOfRootCerts() }

// Roots returns a pool of the issuing roots of every hierarchy, so that a
// client can verify issued certificates (with the chain's intermediates).
func (s *Server) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	for i := range s.NumRoots() {
		pool.AddCert(s.pebble.ca.GetRootCert(i).Cert)
	}
	return pool
}

// RootPEM returns the PEM of root i (0 is the default hierarchy), or nil if
// there is no such root. The same as GET URL()+"/roots/i".
func (s *Server) RootPEM(i int) []byte {
	c := s.pebble.ca.GetRootCert(i)
	if c == nil {
		return nil
	}
	return c.PEM()
}

// IntermediatePEM returns the PEM of the intermediate of hierarchy i that
// signs leaves, or nil if there is no such hierarchy.
func (s *Server) IntermediatePEM(i int) []byte {
	c := s.pebble.ca.GetIntermediateCert(i)
	if c == nil {
		return nil
	}
	return c.PEM()
}

// Requests returns how many requests to e the server has received, including
// those answered by a fault.
func (s *Server) Requests(e Endpoint) int { return s.front.count(e) }

// Request is one request the Server received at its ACME API, as counted
// by Requests (management requests are not).
type Request struct {
	Endpoint Endpoint
	// At is when the Server received it (wall clock).
	At time.Time
	// Fault is the kind of the fault that answered it; zero if it went to
	// Pebble.
	Fault FaultKind
}

// RequestLog returns every request received so far, in the order received,
// e.g. to check that a client sent nothing during a rate limit's window.
func (s *Server) RequestLog() []Request { return s.front.requestLog() }

// PostsPerPath returns, for each request path of endpoint e, how many POSTs
// carrying a payload reached the server: requests that ask for something
// (accept a challenge, finalize an order), not POST-as-GET reads. Keyed by
// path, so each order's finalize and each challenge's accept is counted on
// its own; requests refused by an injected fault before they reach Pebble
// are not counted.
func (s *Server) PostsPerPath(e Endpoint) map[string]int { return s.front.postsPerPath(e) }

// OrderCount returns how many orders Pebble created (newOrder answered 201).
func (s *Server) OrderCount() int { return s.front.ordersCreated() }

// InjectFault adds a fault from now on. Nth counts all requests to the
// endpoint since the start, so use Requests(e)+1 for "the next one". It
// returns an error wrapping ErrInvalidOption if f is invalid.
func (s *Server) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("acmetest: inject fault: %w", err)
	}
	s.front.addFault(f)
	return nil
}

// ValidationPorts returns the ports the validation authority connects to
// for HTTP-01 and TLS-ALPN-01 (WithHTTP01Port, WithTLSALPN01Port; 0 when
// not set).
func (s *Server) ValidationPorts() (http01, tlsALPN01 int) { return s.cfg.httpPort, s.cfg.tlsPort }

// DNSAddr returns the in-process DNS server's address (127.0.0.1:port), which
// answers over UDP and TCP.
func (s *Server) DNSAddr() string { return s.dns.addr }

// SetTXT replaces the TXT records of name with values; no values deletes
// them. Names are case-insensitive and may omit the trailing dot.
func (s *Server) SetTXT(name string, values ...string) { s.dns.setTXT(name, values) }

// AddTXT adds value to the TXT records of name (once).
func (s *Server) AddTXT(name, value string) { s.dns.addTXT(name, value) }

// RemoveTXT removes value from the TXT records of name.
func (s *Server) RemoveTXT(name, value string) { s.dns.removeTXT(name, value) }

// TXT returns a copy of the TXT records of name, in the order they were added.
func (s *Server) TXT(name string) []string { return s.dns.lookupTXT(name) }
