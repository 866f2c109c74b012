package serve

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
)

// GetCertificate returns the certificate for a TLS handshake; it is meant
// for tls.Config.GetCertificate.
//
// A hello offering "acme-tls/1" gets the TLS-ALPN-01 challenge certificate
// for its name, or ErrNoChallenge — never the normal certificate. Otherwise
// the server name (ASCII case-insensitive, one trailing dot ignored) is
// looked up exactly, then as the wildcard "*.b.c" for "a.b.c" (one label
// only). A hello without SNI is answered by the connection's local IP
// address (an IP SAN), else for Options.DefaultName. A miss returns an error
// wrapping ErrUnknownName or ErrNoServerName.
//
// The hit path takes no lock and allocates nothing, for names in any case
// (the name is hashed and compared ignoring case, never folded into a
// copy). Only misses allocate (the error names the requested server name).
//
// The certificate's Leaf is nil, as crypto/tls allows (a server never
// reads it): keeping every leaf parsed would triple what a certificate
// costs the Cache. Parse Certificate[0] with x509.ParseCertificate to
// inspect it. Its PrivateKey is a crypto.Signer; for a Secret loaded by
// Apply it is parsed at the first handshake (see Apply).
//
// The returned certificate is read-only, as crypto/tls treats it: it is
// served to every handshake for its names, and its DER (Certificate) is
// shared memory — the leaf is the process's canonical copy, which the
// memory store and other Caches serving the same leaf hold too, and the
// chain's CA certificates are shared by every Secret they signed. Do not
// modify the certificate or its byte slices; copy them to change them.
func (c *Cache) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if !wantsChallenge(hello.SupportedProtos) {
		if name := trimDot(hello.ServerName); name != "" {
			if cert := c.certs.lookup(name); cert != nil {
				return cert, nil
			}
		}
	}
	return c.getCertificate(hello)
}

// getCertificate is GetCertificate for a hello that is not served by name:
// a challenge, no SNI or a miss. Out of GetCertificate, so that a hit
// keeps only the hello and the Cache across its lookup.
func (c *Cache) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if wantsChallenge(hello.SupportedProtos) {
		return c.challengeCertificate(hello)
	}
	name := trimDot(hello.ServerName)
	if name == "" {
		return c.defaultCertificate(hello)
	}
	return nil, c.miss(name)
}

// defaultCertificate answers a hello without SNI: first by the address the
// client connected to (clients send no SNI for an IP literal, RFC 6066 §3,
// and only a certificate for that IP verifies), then by the default name.
func (c *Cache) defaultCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if ip, ok := localAddr(hello.Conn); ok {
		var buf [maxAddrLen]byte
		if cert := c.certs.lookupExact(addrKey(&buf, ip)); cert != nil {
			return cert, nil
		}
	}
	if c.defaultName != "" {
		if cert := c.certs.lookup(c.defaultName); cert != nil {
			return cert, nil
		}
		return nil, c.miss(c.defaultName)
	}
	return nil, fmt.Errorf("serve: get certificate: %w", ErrNoServerName)
}

func (c *Cache) miss(name string) error {
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.Debug("serve: no certificate for server name", "name", name)
	}
	return fmt.Errorf("serve: get certificate: %w: %q", ErrUnknownName, name)
}
