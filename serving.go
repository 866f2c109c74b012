package certflow

import (
	"crypto/tls"
	"net/http"

	"github.com/certflow/certflow/serve"
)

// GetCertificate answers a TLS handshake from the current certificates: the
// exact SNI name, then its wildcard; TLS-ALPN-01 (acme-tls/1) hellos get the
// challenge certificate of a pending challenge. It takes no lock and
// allocates nothing on a hit. Use it as tls.Config.GetCertificate.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	return m.wiring.cache.GetCertificate(hello)
}

// TLSConfig returns a tls.Config serving GetCertificate, offering h2,
// http/1.1 and acme-tls/1.
func (m *Manager) TLSConfig() *tls.Config { return m.wiring.cache.TLSConfig() }

// HTTPHandler answers HTTP-01 challenges under /.well-known/acme-challenge/
// for every challenge in the Store (so any replica sharing the Store
// answers) and passes every other request to fallback. A nil fallback
// redirects to https.
func (m *Manager) HTTPHandler(fallback http.Handler) http.Handler {
	return serve.HTTPHandler(m.wiring.cache, fallback)
}
