// Package acmetest runs a real ACME server in-process for tests: Let's
// Encrypt's Pebble (v2.10.3) behind an httptest TLS server on 127.0.0.1, plus
// an in-process DNS server that Pebble's validation authority (VA) resolves
// through, so that HTTP-01, TLS-ALPN-01 and DNS-01 challenges are really
// validated against the code under test. It is part of certflow's product:
// use it to unit-test your own ACME-driven code.
//
//	srv := acmetest.NewServer(t, acmetest.WithHTTP01Port(port))
//	client := &acme.Client{Key: key, DirectoryURL: srv.DirectoryURL(), HTTPClient: srv.Client()}
//
// NewServer fails the test if the server cannot start and closes it at the
// end of the test; Start and Close do the same outside tests.
//
// # A certflow Manager
//
// One call wires a Manager to the server: certflow.Config.WithTestCA sets
// its HTTP client (which trusts the server), its self-check dialer (which
// resolves names as the validation authority does) and the ports it
// self-checks on (those given to WithHTTP01Port and WithTLSALPN01Port):
//
//	l, _ := net.Listen("tcp", "127.0.0.1:0")
//	srv := acmetest.NewServer(t, acmetest.WithHTTP01Port(l.Addr().(*net.TCPAddr).Port))
//	m, err := certflow.New(certflow.Config{Store: memory.New()}.WithTestCA(srv))
//	go http.Serve(l, m.HTTPHandler(nil))
//
// and an Issuer whose spec.acme.server is srv.DirectoryURL().
//
// # Names and challenges
//
// The DNS server (DNSAddr, UDP and TCP) answers A queries for every name with
// 127.0.0.1, AAAA queries with nothing (or ::1 with WithIPv6Loopback: the VA
// asks AAAA first and connects only to the first address), and TXT queries
// with the records published through SetTXT, AddTXT and RemoveTXT (names are
// case-insensitive, the trailing dot optional). With WithResolver the VA uses
// another DNS server instead; the in-process one still runs but the VA does
// not ask it.
//
// The VA connects for HTTP-01 to WithHTTP01Port and for TLS-ALPN-01 to
// WithTLSALPN01Port on 127.0.0.1. Both default to 0, where nothing can
// listen: unless WithAlwaysValid is set, such validations fail. Start your
// responder on a free loopback port first, then pass the port.
//
// IP address identifiers (RFC 8738) are validated by HTTP-01 and TLS-ALPN-01
// (SNI the reverse-DNS name) at the address itself, so order loopback
// addresses (127.0.0.1, ::1) unless WithAlwaysValid is set; with
// WithIPProfiles, newOrder refuses them with rejectedIdentifier outside the
// named profiles, as Let's Encrypt accepts them only in "shortlived".
//
// # Defaults
//
// Deterministic where Pebble is random by default: no nonce is rejected
// (Pebble: 5%), authorizations are not reused on purpose (Pebble: 50%; see
// WithAuthzReusePercent for Pebble's 1% off-by-one), the VA does not sleep
// before validating (Pebble: up to 5 s). One "default" profile issues
// certificates valid 90 days; the CA hierarchy uses ECDSA P-256 keys (Pebble:
// RSA) and one intermediate; roots are new at every start — get them from
// Roots, RootPEM or URL()+"/roots/0".
//
// Pebble reads some knobs from PEBBLE_* environment variables when it is
// constructed. Start sets them for its Server under a package-wide mutex and
// restores them, so Servers with different options can start in parallel
// tests; other code reading PEBBLE_* variables at that moment would see them.
//
// # Faults
//
// WithFaults and InjectFault answer chosen requests (the Nth request to an
// Endpoint, counted from 1 per endpoint) with badNonce, rateLimited with
// Retry-After, serverInternal, a delay, or a dropped connection. Requests
// counts every request per endpoint, OrderCount the orders Pebble created.
// Note that net/http's Transport silently retries a GET or HEAD whose reused
// connection was dropped, so a dropped directory or newNonce request may be
// invisible to the client (it is still counted).
//
// # Pebble's bugs, worked around
//
// Pebble v2.10.3 deadlocks under concurrent clients (an authorization poll, a
// new order and a certificate being stored at the same time), and its
// handlers race with each other on memory (an account written after it was
// stored), which fails tests run with -race. acmetest lets one request at a
// time into Pebble, which breaks the cycle and orders the writes;
// throughput is still far above what a test needs: about 200
// certificates/s from 32 concurrent clients sharing Client on 2 busy cores
// (BenchmarkIssueConcurrent).
//
// Pebble also leaks read locks on the challenges it hides when it shows an
// authorization that is no longer pending, so accepting a second challenge
// of the same authorization, or finishing a validation after the
// authorization was deactivated, would hang the server forever. acmetest
// refuses, with a malformed problem, to accept a challenge whose
// authorization is not pending or already has an accepted challenge, and
// holds a deactivation until the authorization's validation has ended
// (meanwhile other requests go on).
//
// Each Server leaves one goroutine of Pebble's VA running forever after
// Close (PebbleVAGoroutine); pass acmeleak.IgnoreGoroutines (package
// acmetest/acmeleak) to goleak. acmetest itself imports no test library,
// so programs that embed it (a quickstart, a demo) stay lean.
//
// # golang.org/x/crypto/acme
//
// Pebble answers finalize with "processing" and issues in the background;
// acmetest holds that answer until the certificate is stored (see
// WithAsyncFinalize), so the client's next poll finds the order valid.
// Pebble's finalize answer has no Location header, so
// Client.CreateOrderCert(ctx, finalizeURL, …) fails; use
// Client.CreateCertFromOrder(ctx, order, …). WaitAuthorization and WaitOrder
// sleep a second between polls when the server sends no Retry-After; poll
// GetAuthorization/GetOrder yourself for faster tests. Alternate chains
// (WithAlternateRoots) are listed by Client.ListCertAlternates and fetched
// with Client.FetchCert.
package acmetest
