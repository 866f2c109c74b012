package certificate

import (
	"crypto/ecdsa"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

func TestNewManualRequest(t *testing.T) {
	c := &Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "web", Name: "www", Labels: map[string]string{"app": "www"},
			Annotations: map[string]string{"team": "edge"}},
		Spec: Spec{
			SecretName: "www-tls",
			IssuerRef:  meta.IssuerRef{Name: "ca", Kind: meta.KindClusterIssuer},
			CommonName: "www.example.com",
			DNSNames:   []string{"www.example.com", "example.com"},
			Subject:    &Subject{Organizations: []string{"Example"}},
			Duration:   &meta.Duration{Duration: 48 * time.Hour},
			PrivateKey: &PrivateKey{Algorithm: ECDSA, Size: 384, Encoding: PKCS8},
			Usages:     []KeyUsage{UsageDigitalSignature, UsageServerAuth},
		},
	}
	req, keyPEM, err := NewManualRequest(c, "www-by-hand")
	require.NoError(t, err)

	assert.Equal(t, meta.ObjectMeta{Namespace: "web", Name: "www-by-hand", Labels: map[string]string{"app": "www"},
		Annotations: map[string]string{"team": "edge"}}, req.ObjectMeta, "no owner: nothing reconciles it as a Certificate's")
	req.ObjectMeta.Labels["app"] = "changed"
	assert.Equal(t, "www", c.ObjectMeta.Labels["app"], "the Certificate's labels are copied, not shared")
	assert.Equal(t, c.Spec.IssuerRef, req.Spec.IssuerRef)
	assert.Equal(t, 48*time.Hour, req.Spec.Duration.Duration)
	assert.Equal(t, []string{"digital signature", "server auth"}, req.Spec.Usages)
	require.NoError(t, request.Validate(req), "the request is one a Manager accepts")

	block, _ := pem.Decode(keyPEM)
	require.NotNil(t, block)
	assert.Equal(t, "PRIVATE KEY", block.Type, "PKCS#8, as the spec asks")
	key, err := pki.ParsePrivateKey(keyPEM)
	require.NoError(t, err)
	ec, ok := key.(*ecdsa.PrivateKey)
	require.True(t, ok, "%T", key)
	assert.Equal(t, 384, ec.Curve.Params().BitSize)

	csr, err := pki.ParseCSR(req.Spec.Request)
	require.NoError(t, err, "the CSR is well signed")
	assert.True(t, pki.PublicKeysEqual(key.Public(), csr.PublicKey), "signed by the returned key")
	assert.Equal(t, "www.example.com", csr.Subject.CommonName)
	assert.Equal(t, []string{"Example"}, csr.Subject.Organization)
	assert.Equal(t, []string{"www.example.com", "example.com"}, csr.DNSNames)

	_, other, err := NewManualRequest(c, "again")
	require.NoError(t, err)
	assert.NotEqual(t, keyPEM, other, "every request gets a new key")
}

func TestNewManualRequest_InvalidSpec(t *testing.T) {
	c := &Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "web", Name: "www"},
		Spec: Spec{SecretName: "www-tls", IssuerRef: meta.IssuerRef{Name: "ca"}}}
	req, key, err := NewManualRequest(c, "x")
	require.ErrorIs(t, err, ErrInvalid)
	assert.Nil(t, req)
	assert.Nil(t, key)
}
