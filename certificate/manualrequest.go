package certificate

import (
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// NewManualRequest builds what `cmctl create certificaterequest
// --from-certificate-file` sends: a CertificateRequest named name, in c's
// namespace, asking c's issuer for what c's spec describes (names, subject,
// duration, usages, isCA), its CSR signed by a new private key made as
// c.Spec.PrivateKey says. It returns the request and that key PEM-encoded
// in the spec's encoding; the key exists nowhere else. The request carries
// c's labels and annotations and no owner: no Certificate reconciles it.
// An invalid spec is refused with Validate's error.
func NewManualRequest(c *Certificate, name string) (*request.CertificateRequest, []byte, error) {
	if err := Validate(c); err != nil {
		return nil, nil, err
	}
	k := c.Spec.KeyConfig()
	key, err := pki.GenerateKey(string(k.Algorithm), k.Size)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := pki.EncodePrivateKey(key, k.Encoding == PKCS8)
	if err != nil {
		return nil, nil, err
	}
	csr, err := buildCSR(&c.Spec, key)
	if err != nil {
		return nil, nil, err
	}
	d := meta.Duration{Duration: c.Spec.EffectiveDuration()}
	return &request.CertificateRequest{
		ObjectMeta: meta.ObjectMeta{
			Namespace:   c.ObjectMeta.Namespace,
			Name:        name,
			Labels:      copyMap(c.ObjectMeta.Labels),
			Annotations: copyMap(c.ObjectMeta.Annotations),
		},
		Spec: request.Spec{
			Request:   csr,
			IssuerRef: c.Spec.IssuerRef,
			Duration:  &d,
			IsCA:      c.Spec.IsCA,
			Usages:    usageStrings(c.Spec.Usages),
		},
	}, keyPEM, nil
}
