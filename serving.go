package certflow

import (
	"crypto/tls"
	"errors"
	"net/http"

	"github.com/certflow/certflow/serve"
)

// GetCertificate answers a TLS handshake from the current certificates: the
// exact SNI name, then its wildcard; TLS-ALPN-01 (acme-tls/1) hellos get the
// challenge certificate of a pending challenge (looked up in the Store when
// the watch has not delivered it yet and the name is one of a Certificate
// whose issuance is under way: such a miss waits for a shared Store read,
// at most one per 100 ms). A hit takes no lock and allocates nothing. Use
// it as tls.Config.GetCertificate. The certificate's Leaf is nil
// (crypto/tls does not need it; parse Certificate[0] to inspect it).
//
// The returned certificate is read-only, as crypto/tls treats it: it and
// its DER byte slices are shared with every handshake, the Store (the
// memory store holds the same leaf bytes) and other Managers serving the
// same certificate (see serve.Cache.GetCertificate). Copy before changing.
//
// With Config.OnDemand.IdleTimeout, a hit also records that the name was
// used (a map lookup and an atomic flag, set once per sweep: no lock, no
// allocation). With Config.OnDemand, a miss asks the on-demand policy and waits for the
// name's issuance (see OnDemandConfig); its errors match
// ErrOnDemandDenied, ErrOnDemandInvalidName, ErrOnDemandRateLimited,
// ErrOnDemandBusy or ErrOnDemandTimeout. crypto/tls answers every error
// with an internal_error alert; TLSConfig's GetCertificate answers denied
// and invalid names with unrecognized_name instead.
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	cert, err := m.wiring.cache.GetCertificate(hello)
	if err != nil && errors.Is(err, serve.ErrNoChallenge) {
		return m.wiring.miss.challengeCertificate(m.wiring.cache, hello, err)
	}
	if m.onDemand == nil {
		return cert, err
	}
	if err == nil {
		if m.onDemand.cfg.IdleTimeout > 0 {
			m.onDemand.used.touch(hello.ServerName)
		}
		return cert, nil
	}
	return m.onDemand.getCertificate(hello, err)
}

// TLSConfig returns a tls.Config serving GetCertificate (whose
// certificates are read-only), offering h2, http/1.1 and acme-tls/1. With
// Config.OnDemand, a handshake for a name the policy denies, or that is
// not a DNS name a certificate can be issued for, ends with the unrecognized_name alert (RFC 6066 §3): its
// GetCertificate returns no certificate and no error for those, which
// crypto/tls answers so when the config holds no Certificates. (Put a
// certificate in Certificates and it is served to them instead.)
func (m *Manager) TLSConfig() *tls.Config {
	cfg := m.wiring.cache.TLSConfig()
	cfg.GetCertificate = m.GetCertificate // a TLS-ALPN-01 miss reads the Store
	if m.onDemand != nil {
		cfg.GetCertificate = m.getCertificateOrUnrecognized
	}
	return cfg
}

// getCertificateOrUnrecognized is GetCertificate, with a denied or invalid
// name turned into crypto/tls's unrecognized_name alert.
func (m *Manager) getCertificateOrUnrecognized(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	cert, err := m.GetCertificate(hello)
	if errors.Is(err, ErrOnDemandDenied) || errors.Is(err, ErrOnDemandInvalidName) {
		return nil, nil
	}
	return cert, err
}

// HTTPHandler answers HTTP-01 challenges under /.well-known/acme-challenge/
// for every challenge in the Store (so any replica sharing the Store
// answers, even before its Store watch delivered the challenge: a token it
// does not hold yet, for a Host that is a name of a Certificate whose
// issuance is under way, is looked up in the Store, at a bounded rate) and
// passes every other request to fallback. A nil fallback
// redirects to https.
func (m *Manager) HTTPHandler(fallback http.Handler) http.Handler {
	return serve.HTTPHandler(missTokens{cache: m.wiring.cache, miss: m.wiring.miss, fetches: m.wiring.fetches}, fallback)
}
