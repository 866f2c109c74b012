package issuer

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
)

func selfSignedIssuer() *Issuer {
	return newIssuer("ns", "self", Spec{SelfSigned: &SelfSignedIssuer{CRLDistributionPoints: []string{"http://crl.example/x.crl"}}})
}

func TestSignSelfSigned(t *testing.T) {
	e := newEnv(t)
	key := newKey(t)
	e.putSecret(t, "ns", "app-key", map[string][]byte{secret.TLSKeyKey: keyPEM(t, key)})
	s := NewSigner(e.deps)

	out, err := s.Sign(testCtx(t), selfSignedIssuer(), SignInput{
		Namespace: "ns", CSR: newCSR(t, key, "app.example", "www.app.example"),
		Duration: 48 * time.Hour, IsCA: true, Usages: []string{"digital signature", "server auth", "client auth"},
		PrivateKeySecretName: "app-key",
	})
	require.NoError(t, err)
	certs := parseChain(t, out.Chain)
	require.Len(t, certs, 1)
	c := certs[0]
	assert.Equal(t, out.Chain, out.CA, "a self-signed certificate is its own CA")
	assert.Equal(t, "app.example", c.Subject.CommonName)
	assert.Equal(t, c.Subject.String(), c.Issuer.String())
	assert.Equal(t, []string{"app.example", "www.app.example"}, c.DNSNames)
	assert.True(t, c.NotBefore.Equal(t0), "NotBefore is now: %s", c.NotBefore)
	assert.True(t, c.NotAfter.Equal(t0.Add(48*time.Hour)), "NotAfter is now+duration: %s", c.NotAfter)
	assert.True(t, c.IsCA)
	assert.True(t, c.BasicConstraintsValid)
	assert.Equal(t, x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign, c.KeyUsage)
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, c.ExtKeyUsage)
	assert.Equal(t, []string{"http://crl.example/x.crl"}, c.CRLDistributionPoints)
	assert.GreaterOrEqual(t, c.SerialNumber.BitLen(), 64, "serial is random, up to 128 bits")
	require.NoError(t, c.CheckSignatureFrom(c), "signed by its own key")
	assert.True(t, pki.PublicKeysEqual(c.PublicKey, key.Public()))
}

func TestSignSelfSignedDefaults(t *testing.T) {
	e := newEnv(t)
	key := newKey(t)
	e.putSecret(t, "ns", "app-key", map[string][]byte{secret.TLSKeyKey: keyPEM(t, key)})

	out, err := NewSigner(e.deps).Sign(testCtx(t), selfSignedIssuer(), SignInput{
		Namespace: "ns", CSR: newCSR(t, key, "app.example"), PrivateKeySecretName: "app-key",
	})
	require.NoError(t, err)
	c := parseChain(t, out.Chain)[0]
	assert.True(t, c.NotAfter.Equal(t0.Add(DefaultDuration)), "duration 0 means 90 days")
	assert.False(t, c.IsCA)
	assert.Equal(t, x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment, c.KeyUsage, "cert-manager's default usages")
}

func TestSignSelfSignedErrors(t *testing.T) {
	e := newEnv(t)
	key, other := newKey(t), newKey(t)
	e.putSecret(t, "ns", "app-key", map[string][]byte{secret.TLSKeyKey: keyPEM(t, key)})
	e.putSecret(t, "ns", "garbage", map[string][]byte{secret.TLSKeyKey: []byte("nope")})
	s := NewSigner(e.deps)
	tests := []struct {
		name     string
		in       SignInput
		terminal bool
		is       error
	}{
		{"key mismatch", SignInput{Namespace: "ns", CSR: newCSR(t, other, "a.example"), PrivateKeySecretName: "app-key"}, true, ErrKeyMismatch},
		{"missing key secret", SignInput{Namespace: "ns", CSR: newCSR(t, key, "a.example"), PrivateKeySecretName: "absent"}, false, ErrNotReady},
		{"unparsable key", SignInput{Namespace: "ns", CSR: newCSR(t, key, "a.example"), PrivateKeySecretName: "garbage"}, false, ErrInvalidKeyPair},
		{"no key secret name", SignInput{Namespace: "ns", CSR: newCSR(t, key, "a.example")}, true, ErrUnsupported},
		{"bad CSR", SignInput{Namespace: "ns", CSR: []byte("not a csr"), PrivateKeySecretName: "app-key"}, true, pki.ErrBadCSR},
		{"unknown usage", SignInput{Namespace: "ns", CSR: newCSR(t, key, "a.example"), PrivateKeySecretName: "app-key", Usages: []string{"teleport"}}, true, ErrUnsupported},
		{"negative duration", SignInput{Namespace: "ns", CSR: newCSR(t, key, "a.example"), PrivateKeySecretName: "app-key", Duration: -time.Hour}, true, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Sign(testCtx(t), selfSignedIssuer(), tt.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.is)
			assert.Equal(t, tt.terminal, errorsIsTerminal(err), "terminal: %v", err)
		})
	}
}

func errorsIsTerminal(err error) bool {
	return err != nil && isErr(err, reconcile.ErrTerminal)
}

func caIssuer(ns string) *Issuer {
	return newIssuer(ns, "ca", Spec{CA: &CAIssuer{SecretName: "ca-key-pair", OCSPServers: []string{"http://ocsp.example"}}})
}

func TestSignCA(t *testing.T) {
	e := newEnv(t)
	ca := newTestCA(t, time.Time{})
	e.putSecret(t, "ns", "ca-key-pair", ca.secretData(t, false))
	key := newKey(t)

	out, err := NewSigner(e.deps).Sign(testCtx(t), caIssuer("ns"), SignInput{
		Namespace: "ns", CSR: newCSR(t, key, "svc.example"), Duration: time.Hour, Usages: []string{"server auth"},
	})
	require.NoError(t, err)
	chain := parseChain(t, out.Chain)
	require.Len(t, chain, 3, "leaf + tls.crt of the CA Secret")
	leaf := chain[0]
	assert.Equal(t, ca.inter.Raw, chain[1].Raw)
	assert.Equal(t, ca.root.Raw, chain[2].Raw)
	require.NoError(t, leaf.CheckSignatureFrom(ca.inter))
	assert.True(t, pki.PublicKeysEqual(leaf.PublicKey, key.Public()))
	assert.Equal(t, "Test Intermediate", leaf.Issuer.CommonName)
	assert.Equal(t, []string{"svc.example"}, leaf.DNSNames)
	assert.True(t, leaf.NotAfter.Equal(t0.Add(time.Hour)))
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.ExtKeyUsage)
	assert.Equal(t, []string{"http://ocsp.example"}, leaf.OCSPServer)
	assert.Equal(t, ca.inter.SubjectKeyId, leaf.AuthorityKeyId)
	assert.Equal(t, pki.EncodeCerts(ca.root), out.CA, "without ca.crt the CA is the last certificate of tls.crt")

	roots := x509.NewCertPool()
	roots.AddCert(ca.root)
	inters := x509.NewCertPool()
	inters.AddCert(ca.inter)
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: t0.Add(time.Minute), DNSName: "svc.example"})
	require.NoError(t, err, "the chain verifies")
}

func TestSignCAUsesCACrt(t *testing.T) {
	e := newEnv(t)
	ca := newTestCA(t, time.Time{})
	data := ca.secretData(t, false)
	other := makeCert(t, certSpec{cn: "Other Root", isCA: true, keyUsage: x509.KeyUsageCertSign}, newKey(t), nil, nil)
	data[secret.CACertKey] = pki.EncodeCerts(other)
	e.putSecret(t, clusterNS, "ca-key-pair", data)
	iss := &ClusterIssuer{ObjectMeta: meta.ObjectMeta{Name: "ca"}, Spec: Spec{CA: &CAIssuer{SecretName: "ca-key-pair"}}}

	out, err := NewSigner(e.deps).Sign(testCtx(t), iss, SignInput{Namespace: "app", CSR: newCSR(t, newKey(t), "svc.example")})
	require.NoError(t, err, "a ClusterIssuer reads its Secret from the cluster resource namespace")
	assert.Equal(t, pki.EncodeCerts(other), out.CA)
}

func TestSignCACapsNotAfter(t *testing.T) {
	e := newEnv(t)
	caEnd := t0.Add(24 * time.Hour)
	ca := newTestCA(t, caEnd)
	e.putSecret(t, "ns", "ca-key-pair", ca.secretData(t, true))

	out, err := NewSigner(e.deps).Sign(testCtx(t), caIssuer("ns"), SignInput{Namespace: "ns", CSR: newCSR(t, newKey(t), "svc.example")})
	require.NoError(t, err)
	assert.True(t, parseChain(t, out.Chain)[0].NotAfter.Equal(caEnd), "the leaf never outlives the CA")
}

func TestSignCAErrors(t *testing.T) {
	good := newTestCA(t, time.Time{})
	leafKey := newKey(t)
	notCA := makeCert(t, certSpec{cn: "leaf", keyUsage: x509.KeyUsageDigitalSignature}, leafKey, good.inter, good.interKey)
	noCertSign := makeCert(t, certSpec{cn: "weak CA", isCA: true, keyUsage: x509.KeyUsageDigitalSignature}, leafKey, good.inter, good.interKey)
	expired := makeCert(t, certSpec{cn: "old CA", isCA: true, keyUsage: x509.KeyUsageCertSign, notBefore: t0.Add(-48 * time.Hour), notAfter: t0.Add(-time.Hour)}, leafKey, nil, nil)
	tests := []struct {
		name string
		data map[string][]byte // nil: no Secret
		is   error
	}{
		{"missing secret", nil, ErrNotReady},
		{"not a CA", map[string][]byte{secret.TLSCertKey: pki.EncodeCerts(notCA), secret.TLSKeyKey: keyPEM(t, leafKey)}, ErrInvalidKeyPair},
		{"no cert sign usage", map[string][]byte{secret.TLSCertKey: pki.EncodeCerts(noCertSign), secret.TLSKeyKey: keyPEM(t, leafKey)}, ErrInvalidKeyPair},
		{"key does not match", map[string][]byte{secret.TLSCertKey: pki.EncodeCerts(good.inter), secret.TLSKeyKey: keyPEM(t, leafKey)}, ErrInvalidKeyPair},
		{"no certificate", map[string][]byte{secret.TLSKeyKey: keyPEM(t, leafKey)}, ErrInvalidKeyPair},
		{"no key", map[string][]byte{secret.TLSCertKey: pki.EncodeCerts(good.inter)}, ErrInvalidKeyPair},
		{"expired", map[string][]byte{secret.TLSCertKey: pki.EncodeCerts(expired), secret.TLSKeyKey: keyPEM(t, leafKey)}, ErrInvalidKeyPair},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.data != nil {
				e.putSecret(t, "ns", "ca-key-pair", tt.data)
			}
			_, err := NewSigner(e.deps).Sign(testCtx(t), caIssuer("ns"), SignInput{Namespace: "ns", CSR: newCSR(t, newKey(t), "svc.example")})
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.is)
			assert.ErrorIs(t, err, ErrNotReady, "a fixable Secret is retried")
			assert.False(t, errorsIsTerminal(err))
		})
	}
}

func TestSignCACacheFollowsSecretUpdates(t *testing.T) {
	e := newEnv(t)
	first, second := newTestCA(t, time.Time{}), newTestCA(t, time.Time{})
	sec := e.putSecret(t, "ns", "ca-key-pair", first.secretData(t, false))
	s := NewSigner(e.deps)
	sign := func() *x509.Certificate {
		out, err := s.Sign(testCtx(t), caIssuer("ns"), SignInput{Namespace: "ns", CSR: newCSR(t, newKey(t), "svc.example")})
		require.NoError(t, err)
		return parseChain(t, out.Chain)[0]
	}
	require.NoError(t, sign().CheckSignatureFrom(first.inter))
	require.NoError(t, sign().CheckSignatureFrom(first.inter), "served from the cache")

	sec.Data = second.secretData(t, false)
	require.NoError(t, e.store.Update(testCtx(t), sec))
	require.NoError(t, sign().CheckSignatureFrom(second.inter), "a new resource version is parsed again")
}

func TestSignRefusesACMEAndInvalidIssuers(t *testing.T) {
	e := newEnv(t)
	s := NewSigner(e.deps)
	csr := newCSR(t, newKey(t), "a.example")
	for name, iss := range map[string]*Issuer{
		"acme":    newIssuer("ns", "acme", Spec{ACME: goodACME()}),
		"invalid": newIssuer("ns", "bad", Spec{CA: &CAIssuer{}}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Sign(testCtx(t), iss, SignInput{Namespace: "ns", CSR: csr})
			assert.ErrorIs(t, err, ErrUnsupported)
			assert.True(t, errorsIsTerminal(err))
		})
	}
}

func TestSignUsesParsedCSR(t *testing.T) {
	e := newEnv(t)
	e.putSecret(t, "ns", "ca-key-pair", newTestCA(t, time.Time{}).secretData(t, false))
	key := newKey(t)
	parsed, err := pki.ParseCSR(newCSR(t, key, "parsed.example"))
	require.NoError(t, err)

	out, err := NewSigner(e.deps).Sign(testCtx(t), caIssuer("ns"), SignInput{Namespace: "ns", ParsedCSR: parsed})
	require.NoError(t, err, "no PEM needed when the parsed CSR is given")
	leaf := parseChain(t, out.Chain)[0]
	assert.Equal(t, []string{"parsed.example"}, leaf.DNSNames)
	assert.True(t, pki.PublicKeysEqual(leaf.PublicKey, key.Public()))
}
