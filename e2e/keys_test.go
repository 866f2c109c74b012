package e2e

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

func TestCAIssuance_KeyAlgorithmsAndEncodings(t *testing.T) {
	tests := []struct {
		name      string
		key       certificate.PrivateKey
		pemType   string
		checkType func(any) bool
	}{
		{"rsa 2048 pkcs1", certificate.PrivateKey{Algorithm: certificate.RSA, Size: 2048}, "RSA PRIVATE KEY",
			func(k any) bool { r, ok := k.(*rsa.PrivateKey); return ok && r.N.BitLen() == 2048 }},
		{"ecdsa 384 pkcs8", certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 384, Encoding: certificate.PKCS8}, "PRIVATE KEY",
			func(k any) bool { e, ok := k.(*ecdsa.PrivateKey); return ok && e.Curve.Params().BitSize == 384 }},
		{"ecdsa 256 sec1", certificate.PrivateKey{Algorithm: certificate.ECDSA}, "EC PRIVATE KEY",
			func(k any) bool { e, ok := k.(*ecdsa.PrivateKey); return ok && e.Curve.Params().BitSize == 256 }},
		{"ed25519", certificate.PrivateKey{Algorithm: certificate.Ed25519, Encoding: certificate.PKCS8}, "PRIVATE KEY",
			func(k any) bool { _, ok := k.(ed25519.PrivateKey); return ok }},
	}
	h := startCA(t, "default", "ca")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := strings.ReplaceAll(tt.name, " ", "-")
			crt := testrig.Certificate("default", name, "ca", name+".example.test")
			key := tt.key
			crt.Spec.PrivateKey = &key
			crt.Spec.IsCA = tt.key.Algorithm == certificate.Ed25519
			require.NoError(t, h.m.Apply(h.ctx, crt))
			waitFor(h, testrig.CertRef("default", name), "Ready", testrig.CertReady)

			s := &secret.Secret{}
			require.NoError(t, h.store.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: name + "-tls"}, s))
			block, _ := pem.Decode(s.Data[secret.TLSKeyKey])
			require.NotNil(t, block)
			assert.Equal(t, tt.pemType, block.Type)
			k, err := pki.ParsePrivateKey(s.Data[secret.TLSKeyKey])
			require.NoError(t, err)
			assert.True(t, tt.checkType(k), "key type %T", k)
			leaf, _ := testrig.ReadSecret(t, h.ctx, h.store, "default", name+"-tls")
			assert.Equal(t, crt.Spec.IsCA, leaf.IsCA)
		})
	}
}

func TestDelete_CascadesToRequestsButKeepsSecret(t *testing.T) {
	h := startCA(t, "default", "ca")
	require.NoError(t, h.m.Apply(h.ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	waitFor(h, testrig.CertRef("default", "web"), "Ready", testrig.CertReady)

	require.NoError(t, h.m.Delete(h.ctx, testrig.CertRef("default", "web")))
	err := h.store.Get(h.ctx, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "web-1"}, &request.CertificateRequest{})
	assert.True(t, errors.Is(err, store.ErrNotFound), "request deleted with its certificate: %v", err)
	_, _ = testrig.ReadSecret(t, h.ctx, h.store, "default", "web-tls")
}
