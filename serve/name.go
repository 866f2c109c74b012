package serve

import (
	"net"
	"net/netip"
)

// maxNameLen is the longest DNS name in text form (RFC 1035 §2.3.4), without
// the trailing dot. Longer server names cannot be covered by a certificate.
const maxNameLen = 253

// acmeTLS1 is the ALPN protocol of TLS-ALPN-01 validation (RFC 8737 §6.2).
const acmeTLS1 = "acme-tls/1"

// trimDot drops one trailing dot; a substring, so it does not allocate.
func trimDot(name string) string {
	if n := len(name); n > 0 && name[n-1] == '.' {
		return name[:n-1]
	}
	return name
}

// isLower reports whether name has no ASCII upper-case letter, the case of
// nearly every real SNI, so the hot path can skip copying it.
func isLower(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// lowerInto writes the ASCII lower case of name into buf and returns its
// length. name must fit; callers check len(name) <= maxNameLen. SNI is ASCII
// (RFC 6066 §3: A-labels), so ASCII folding is the right comparison.
func lowerInto(buf *[maxNameLen]byte, name string) int {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return len(name)
}

// wantsChallenge reports whether the client offered acme-tls/1. RFC 8737 says
// a validating client offers only that protocol; a hello that offers it among
// others is still treated as a validation attempt, so the normal certificate
// is never sent where a challenge certificate was asked for.
func wantsChallenge(protos []string) bool {
	for _, p := range protos {
		if p == acmeTLS1 {
			return true
		}
	}
	return false
}

// localAddr returns the IP address a connection was accepted on, without
// allocating, for hellos that carry no SNI (clients omit SNI for IP
// literals, RFC 6066 §3).
func localAddr(c net.Conn) (netip.Addr, bool) {
	if c == nil {
		return netip.Addr{}, false
	}
	switch a := c.LocalAddr().(type) {
	case *net.TCPAddr:
		ip, ok := netip.AddrFromSlice(a.IP)
		return ip.Unmap(), ok
	case *net.UDPAddr:
		ip, ok := netip.AddrFromSlice(a.IP)
		return ip.Unmap(), ok
	}
	return netip.Addr{}, false
}
