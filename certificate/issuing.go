package certificate

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"time"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// Issuing (cert-manager's issuing controller): an issued request's
// certificate is checked and moved with the next key into the Secret.

// verifyIssued checks the leaf against what was asked for and returns it, or
// a description of what is wrong. Names are compared loosely, as a CA may
// drop the commonName from the leaf or move it among the SANs.
func verifyIssued(cert *Certificate, req *request.CertificateRequest, key *nextKey, now time.Time, p *parsers) (*x509.Certificate, string) {
	chain, err := p.chain(req.Status.Certificate)
	if err != nil {
		return nil, "issued certificate is unreadable: " + err.Error()
	}
	leaf := chain[0]
	csr, err := p.csr(req)
	if err != nil {
		return nil, "request's CSR is unreadable: " + err.Error()
	}
	csrKey := csr.PublicKey
	switch {
	case !pki.PublicKeysEqual(leaf.PublicKey, csrKey):
		return nil, "issued certificate's public key does not match the CSR"
	case !pki.PublicKeysEqual(leaf.PublicKey, key.key.Public()):
		return nil, "issued certificate's public key does not match the private key"
	case !now.Before(leaf.NotAfter):
		return nil, "issued certificate expired at " + leaf.NotAfter.UTC().Format(time.RFC3339)
	}
	if v := fuzzyAltNamesMatchSpec(leaf, &cert.Spec); len(v) > 0 {
		return nil, "issued certificate does not match the requested names: " + strings.Join(v, ", ")
	}
	return leaf, ""
}

// rejected returns req marked as failed once, so it counts as one failure.
func rejected(req *request.CertificateRequest, problem string, now time.Time) *request.CertificateRequest {
	out := *req
	out.ObjectMeta.Annotations = copyMap(req.ObjectMeta.Annotations)
	if out.ObjectMeta.Annotations == nil {
		out.ObjectMeta.Annotations = map[string]string{}
	}
	out.ObjectMeta.Annotations[AnnotationRejected] = problem
	out.Status.FailureTime = &now
	return &out
}

// issuedSecret returns the Secret holding req's certificate and key, or nil
// when sec already holds exactly that (the crash-recovery path: key
// re-encoding is not byte-stable for all algorithms, so an up-to-date Secret
// is never rewritten).
func issuedSecret(cert *Certificate, sec *secret.Secret, req *request.CertificateRequest, key *nextKey, p *parsers) (*secret.Secret, error) {
	keyPEM, err := p.encodeKey(key.key, cert.Spec.KeyConfig().Encoding == PKCS8)
	if err != nil {
		return nil, err
	}
	want := map[string][]byte{
		secret.TLSCertKey: req.Status.Certificate,
		secret.TLSKeyKey:  keyPEM,
		secret.CACertKey:  req.Status.CA,
	}
	var out secret.Secret
	if sec == nil {
		out.ObjectMeta = meta.ObjectMeta{Namespace: cert.ObjectMeta.Namespace, Name: cert.Spec.SecretName}
	} else {
		if secretUpToDate(sec, want, cert) {
			return nil, nil
		}
		out = *sec
		out.ObjectMeta.Annotations = copyMap(sec.ObjectMeta.Annotations)
		out.ObjectMeta.Labels = copyMap(sec.ObjectMeta.Labels)
		out.ObjectMeta.OwnerRefs = append([]meta.Ref(nil), sec.ObjectMeta.OwnerRefs...)
	}
	out.Data = make(map[string][]byte, len(want))
	if sec != nil {
		for k, v := range sec.Data {
			out.Data[k] = v
		}
	}
	for k, v := range want {
		out.Data[k] = v
	}
	out.Type = secret.TypeTLS
	applySecretMeta(&out.ObjectMeta, cert, req.Spec.IssuerRef)
	return &out, nil
}

func secretUpToDate(sec *secret.Secret, want map[string][]byte, cert *Certificate) bool {
	if !bytes.Equal(sec.Data[secret.TLSCertKey], want[secret.TLSCertKey]) {
		return false
	}
	return sameKey(sec.Data[secret.TLSKeyKey], want[secret.TLSKeyKey]) &&
		sec.ObjectMeta.Annotations[AnnotationSpecHash] == SpecHash(&cert.Spec) &&
		sec.ObjectMeta.Annotations[secret.AnnotationCertificateName] == cert.ObjectMeta.Name
}

// sameKey reports whether two PEM private keys are the same key: the same
// bytes are, else (another encoding of it) their public halves are compared.
func sameKey(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ka, err := pki.ParsePrivateKey(a)
	if err != nil {
		return false
	}
	kb, err := pki.ParsePrivateKey(b)
	return err == nil && pki.PublicKeysEqual(ka.Public(), kb.Public())
}

// applySecretMeta writes the Certificate's annotations and labels on a
// Secret whose leaf iss issued.
func applySecretMeta(m *meta.ObjectMeta, cert *Certificate, iss meta.IssuerRef) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	if t := cert.Spec.SecretTemplate; t != nil {
		for k, v := range t.Annotations {
			m.Annotations[k] = v
		}
		for k, v := range t.Labels {
			m.Labels[k] = v
		}
	}
	ref := iss.Resolve(cert.ObjectMeta.Namespace)
	a := m.Annotations
	a[secret.AnnotationCertificateName] = cert.ObjectMeta.Name
	a[secret.AnnotationIssuerName] = ref.Name
	a[secret.AnnotationIssuerKind] = string(ref.Kind)
	a[AnnotationIssuerGroup] = issuerGroup(iss.Group)
	a[secret.AnnotationCommonName] = cert.Spec.CommonName
	a[secret.AnnotationAltNames] = strings.Join(cert.Spec.DNSNames, ",")
	a[secret.AnnotationIPSANs] = strings.Join(cert.Spec.IPAddresses, ",")
	a[secret.AnnotationURISANs] = strings.Join(cert.Spec.URIs, ",")
	a[secret.AnnotationEmailSANs] = strings.Join(cert.Spec.EmailAddresses, ",")
	a[AnnotationSpecHash] = SpecHash(&cert.Spec)
	if !m.IsOwnedBy(meta.RefOf(cert)) {
		m.OwnerRefs = append(m.OwnerRefs, meta.RefOf(cert))
	}
}

// refreshedSecret returns sec with the metadata and key encoding the spec
// asks for, or nil when it already has them: a change of secretTemplate or
// privateKey.encoding, or a Secret adopted from cert-manager, rewrites the
// Secret without a new certificate (as cert-manager's post-issuance checks
// do), never a re-issuance.
func refreshedSecret(cert *Certificate, sec *secret.Secret, kp *keyPair) *secret.Secret {
	out := *sec
	out.ObjectMeta.Annotations = copyMap(sec.ObjectMeta.Annotations)
	out.ObjectMeta.Labels = copyMap(sec.ObjectMeta.Labels)
	out.ObjectMeta.OwnerRefs = append([]meta.Ref(nil), sec.ObjectMeta.OwnerRefs...)
	applySecretMeta(&out.ObjectMeta, cert, secretIssuer(cert, sec.ObjectMeta.Annotations))
	changed := !mapsEqual(out.ObjectMeta.Annotations, sec.ObjectMeta.Annotations) ||
		!mapsEqual(out.ObjectMeta.Labels, sec.ObjectMeta.Labels) ||
		len(out.ObjectMeta.OwnerRefs) != len(sec.ObjectMeta.OwnerRefs)
	pkcs8 := cert.Spec.KeyConfig().Encoding == PKCS8
	if keyPKCS8(sec.Data[secret.TLSKeyKey]) != pkcs8 {
		if pemKey, err := pki.EncodePrivateKey(kp.key, pkcs8); err == nil && keyPKCS8(pemKey) == pkcs8 {
			out.Data = make(map[string][]byte, len(sec.Data))
			for k, v := range sec.Data {
				out.Data[k] = v
			}
			out.Data[secret.TLSKeyKey] = pemKey
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return &out
}

// keyPKCS8 reports whether a PEM private key is PKCS#8 encoded.
func keyPKCS8(data []byte) bool {
	b, _ := pem.Decode(data)
	return b != nil && b.Type == "PRIVATE KEY"
}

// mapsEqual treats nil and empty as equal.
func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
