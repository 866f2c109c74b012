package acmetest

import (
	"context"
	"net"
)

// Resolver returns a resolver that asks the server's in-process DNS, which
// answers every test name with the loopback address.
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, s.DNSAddr())
		},
	}
}

// Dial connects to addr (host:port), resolving the host through the server's
// in-process DNS as Pebble's validation authority does, so code that
// self-checks a challenge reaches the same listener the CA validates.
func (s *Server) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Resolver: s.Resolver()}
	return d.DialContext(ctx, network, addr)
}
