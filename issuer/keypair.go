package issuer

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/secret"
)

// caKeyPair is a CA Secret, parsed and checked once per resource version.
type caKeyPair struct {
	resourceVersion string
	cert            *x509.Certificate // tls.crt's first certificate: the signing CA
	key             crypto.Signer
	chainPEM        []byte // every certificate of tls.crt, re-encoded
	caPEM           []byte // ca.crt, or the last certificate of tls.crt
	problem         string // non-empty: why this version is unusable
}

// parseCAKeyPair checks that sec holds a CA certificate and its key. The
// returned pair's problem says why it is unusable, never with key bytes.
func parseCAKeyPair(sec *secret.Secret) *caKeyPair {
	kp := &caKeyPair{resourceVersion: sec.ObjectMeta.ResourceVersion}
	fail := func(format string, args ...any) *caKeyPair {
		kp.problem = fmt.Sprintf(format, args...)
		return kp
	}
	certs, err := pki.ParseChain(sec.Data[secret.TLSCertKey])
	if err != nil {
		return fail("%s: %v", secret.TLSCertKey, err)
	}
	key, err := pki.ParsePrivateKey(sec.Data[secret.TLSKeyKey])
	if err != nil {
		return fail("%s: %v", secret.TLSKeyKey, err)
	}
	ca := certs[0]
	if !ca.BasicConstraintsValid || !ca.IsCA {
		return fail("certificate %q is not a CA", ca.Subject.String())
	}
	// A certificate without the key usage extension may sign (RFC 5280 4.2.1.3).
	if ca.KeyUsage != 0 && ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		return fail("certificate %q lacks the cert sign key usage", ca.Subject.String())
	}
	if !pki.PublicKeysEqual(ca.PublicKey, key.Public()) {
		return fail("%s does not match the certificate's public key", secret.TLSKeyKey)
	}
	kp.cert, kp.key = ca, key
	kp.chainPEM = pki.EncodeCerts(certs...)
	kp.caPEM = pki.EncodeCerts(certs[len(certs)-1])
	if b := sec.Data[secret.CACertKey]; len(b) > 0 {
		roots, err := pki.ParseChain(b)
		if err != nil {
			return fail("%s: %v", secret.CACertKey, err)
		}
		kp.caPEM = pki.EncodeCerts(roots...)
	}
	return kp
}

// problemAt says why kp cannot sign at now, or "".
func (kp *caKeyPair) problemAt(now time.Time) string {
	if kp.problem != "" {
		return kp.problem
	}
	if !now.Before(kp.cert.NotAfter) {
		return fmt.Sprintf("CA certificate %q expired at %s", kp.cert.Subject.String(), kp.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return ""
}
