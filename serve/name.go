package serve

import (
	"net"
	"net/netip"
	"unsafe"
)

// acmeTLS1 is the ALPN protocol of TLS-ALPN-01 validation (RFC 8737 §6.2).
const acmeTLS1 = "acme-tls/1"

// trimDot drops one trailing dot; a substring, so it does not allocate.
func trimDot(name string) string {
	if n := len(name); n > 0 && name[n-1] == '.' {
		return name[:n-1]
	}
	return name
}

// maxAddrLen is room for the text of any IP address without zone (IPv6
// takes at most 39 bytes).
const maxAddrLen = 48

// addrKey writes the canonical text of ip, under which IP SANs are indexed,
// into buf and returns it as a string sharing buf's bytes, so a handshake
// without SNI allocates nothing. The string is only valid while buf is and
// must not be kept.
func addrKey(buf *[maxAddrLen]byte, ip netip.Addr) string {
	return stringView(ip.AppendTo(buf[:0]))
}

// stringView returns b's bytes as a string without copying them, for a
// lookup key built in a buffer on the stack. b must not change, and the
// string must not be kept, once the lookup returns.
func stringView(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// wantsChallenge reports whether the client offered acme-tls/1. RFC 8737 says
// a validating client offers only that protocol; a hello that offers it among
// others is still treated as a validation attempt, so the normal certificate
// is never sent where a challenge certificate was asked for.
func wantsChallenge(protos []string) bool {
	// Every handshake pays this loop: it looks at lengths only, so the
	// protocol's bytes (a 64-bit constant the compiler kept in a register
	// across the loop, reloading it on every other protocol) are compared
	// only for a protocol of acme-tls/1's length, by offersChallenge.
	for _, p := range protos {
		if len(p) == len(acmeTLS1) {
			return offersChallenge(protos)
		}
	}
	return false
}

// offersChallenge is wantsChallenge for protocols of which one has
// acme-tls/1's length.
func offersChallenge(protos []string) bool {
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
