package certflow

import (
	"context"
	"net"
	"net/http"
)

// TestCA is an ACME server for tests that a Manager can be wired to in one
// call, Config.WithTestCA; *acmetest.Server is one.
type TestCA interface {
	// Client returns an HTTP client that trusts the CA's TLS certificate.
	Client() *http.Client
	// Dial connects as the CA's validation authority does, resolving
	// test names through the CA's own DNS.
	Dial(ctx context.Context, network, addr string) (net.Conn, error)
	// ValidationPorts returns the ports the CA validates HTTP-01 and
	// TLS-ALPN-01 challenges on; 0 for one it does not validate.
	ValidationPorts() (http01, tlsALPN01 int)
}

// WithTestCA returns c wired to the test CA ca: the Manager talks to it
// with ca's client (HTTPClient), and its HTTP-01 and TLS-ALPN-01
// self-checks reach the ports ca validates on, resolving names as ca does
// (ACME.HTTP01Port, ACME.TLSALPN01Port, ACME.Dial). Serve m.HTTPHandler and
// m.TLSConfig on those ports, and point the Issuer at ca's directory:
//
//	srv := acmetest.NewServer(t, acmetest.WithHTTP01Port(port))
//	m, err := certflow.New(certflow.Config{Store: memory.New()}.WithTestCA(srv))
func (c Config) WithTestCA(ca TestCA) Config {
	c.HTTPClient = ca.Client()
	c.ACME.Dial = ca.Dial
	http01, tlsALPN01 := ca.ValidationPorts()
	if http01 != 0 {
		c.ACME.HTTP01Port = http01
	}
	if tlsALPN01 != 0 {
		c.ACME.TLSALPN01Port = tlsALPN01
	}
	return c
}
