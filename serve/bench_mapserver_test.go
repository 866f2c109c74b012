package serve

import (
	"crypto/tls"
	"strings"

	"github.com/certflow/certflow/internal/dnsname"
)

// mapServer is the cheapest server built on Go maps that answers what
// GetCertificate answers for a hello with SNI, without allocating: a
// baseline doing the same work as the Cache (BenchmarkGetCertificate).
type mapServer struct {
	exact map[string]*tls.Certificate
	// wild holds the certificate of "*.b.c" under "b.c", so a lookup of
	// "a.b.c" indexes it with a substring of the server name.
	wild map[string]*tls.Certificate
}

func newMapServer() *mapServer {
	return &mapServer{exact: map[string]*tls.Certificate{}, wild: map[string]*tls.Certificate{}}
}

// add serves cert for san (lower case).
func (m *mapServer) add(san string, cert *tls.Certificate) {
	if parent, ok := strings.CutPrefix(san, "*."); ok {
		m.wild[parent] = cert
		return
	}
	m.exact[san] = cert
}

// get is GetCertificate's hit path on maps: the ALPN check, one trailing
// dot, the name folded to lower case (into a buffer on the stack, only if
// it may have an upper-case letter), the exact name, else the parent.
func (m *mapServer) get(hello *tls.ClientHelloInfo) *tls.Certificate {
	if wantsChallenge(hello.SupportedProtos) {
		return nil
	}
	name := trimDot(hello.ServerName)
	if len(name) > dnsname.MaxNameLen {
		return nil
	}
	var buf [dnsname.MaxNameLen]byte
	if !dnsname.IsFolded(name) {
		name = stringView(buf[:dnsname.FoldInto(buf[:], name)])
	}
	if cert := m.exact[name]; cert != nil {
		return cert
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return m.wild[name[i+1:]]
	}
	return nil
}
