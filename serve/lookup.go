package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
)

// GetCertificate returns the certificate for a TLS handshake; it is meant
// for tls.Config.GetCertificate.
//
// A hello offering "acme-tls/1" gets the TLS-ALPN-01 challenge certificate
// for its name, or ErrNoChallenge — never the normal certificate. Otherwise
// the server name (ASCII case-insensitive, one trailing dot ignored) is
// looked up exactly, then as the wildcard "*.b.c" for "a.b.c" (one label
// only). A hello without SNI is answered for Options.DefaultName, else by the
// connection's local IP address. A miss returns an error wrapping
// ErrUnknownName or ErrNoServerName.
//
// The hit path takes no lock and allocates nothing, including for mixed-case
// names, which are folded into a stack buffer. Only misses allocate (the
// error names the requested server name).
func (c *Cache) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if wantsChallenge(hello.SupportedProtos) {
		return c.challengeCertificate(hello)
	}
	ix := c.certs.Load()
	name := trimDot(hello.ServerName)
	if name == "" {
		return c.defaultCertificate(ix, hello)
	}
	// Keys are lower case, so a hit on the name as sent proves it was lower
	// case already: the common case pays for one map index and nothing else.
	if cert, ok := ix.exact[name]; ok {
		return cert, nil
	}
	// Likewise a wildcard hit on the parent as sent proves the parent lower
	// case; with a lower-case first label the whole name is, so the exact
	// miss above was authoritative and the wildcard may answer.
	if i := strings.IndexByte(name, '.'); i > 0 && isLower(name[:i]) {
		if cert, ok := ix.wild[name[i+1:]]; ok {
			return cert, nil
		}
	}
	if len(name) > maxNameLen || isLower(name) {
		return nil, c.miss(name)
	}
	// Rare: a mixed-case name. Fold it into a stack buffer and look again.
	var buf [maxNameLen]byte
	if cert := ix.lookupBytes(buf[:lowerInto(&buf, name)]); cert != nil {
		return cert, nil
	}
	return nil, c.miss(name)
}

// lookup finds the certificate for a lower-case name without a trailing dot.
func (ix *certIndex) lookup(name string) *tls.Certificate {
	if cert, ok := ix.exact[name]; ok {
		return cert
	}
	return ix.lookupWildcard(name)
}

// lookupWildcard finds the certificate of "*.b.c" for "a.b.c", indexing by
// the substring "b.c" so nothing is allocated.
func (ix *certIndex) lookupWildcard(name string) *tls.Certificate {
	if i := strings.IndexByte(name, '.'); i > 0 {
		return ix.wild[name[i+1:]]
	}
	return nil
}

// lookupBytes is lookup for a name folded into a buffer. The map index
// expressions m[string(b)] are compiled without a string allocation.
func (ix *certIndex) lookupBytes(name []byte) *tls.Certificate {
	if cert, ok := ix.exact[string(name)]; ok {
		return cert
	}
	if i := bytes.IndexByte(name, '.'); i > 0 {
		return ix.wild[string(name[i+1:])]
	}
	return nil
}

func (c *Cache) defaultCertificate(ix *certIndex, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c.defaultName != "" {
		if cert := ix.lookup(c.defaultName); cert != nil {
			return cert, nil
		}
		return nil, c.miss(c.defaultName)
	}
	if ip, ok := localAddr(hello.Conn); ok {
		if cert := ix.ips[ip]; cert != nil {
			return cert, nil
		}
	}
	return nil, fmt.Errorf("serve: get certificate: %w", ErrNoServerName)
}

func (c *Cache) miss(name string) error {
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.Debug("serve: no certificate for server name", "name", name)
	}
	return fmt.Errorf("serve: get certificate: %w: %q", ErrUnknownName, name)
}
