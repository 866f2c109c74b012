package certflow

import (
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// A Certificate that keeps its key (rotationPolicy Never) keeps it through
// an ordinary revocation, but gets a new one after keyCompromise.
func TestRevokeKeyCompromiseReplacesAKeptKey(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ref := h.issueACME("kept", func(c *certificate.Certificate) {
		c.Spec.PrivateKey = &certificate.PrivateKey{RotationPolicy: certificate.RotationNever}
	})
	first, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "kept-tls")

	r, err := h.m.Revoke(h.ctx, ref, RevocationSuperseded)
	require.NoError(t, err)
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(r)))
	second, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "kept-tls")
	require.NotEqual(t, first.SerialNumber, second.SerialNumber)
	assert.True(t, pki.PublicKeysEqual(first.PublicKey, second.PublicKey), "superseded: rotationPolicy Never keeps the key")

	r, err = h.m.Revoke(h.ctx, ref, RevocationKeyCompromise)
	require.NoError(t, err)
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(r)))
	third, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "kept-tls")
	assert.False(t, pki.PublicKeysEqual(second.PublicKey, third.PublicKey), "keyCompromise: the compromised key is not reused")
	_, revoked := h.acme.Revocation(third)
	assert.False(t, revoked)
}

// Let's Encrypt counts every revocation signed by the certificate's own key
// as keyCompromise and blocks the key: a kept key is replaced after one,
// whatever reason was sent.
func TestRevokeWithCertificateKeyMarksTheKeyCompromised(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ref := h.issueACME("kept", func(c *certificate.Certificate) {
		c.Spec.PrivateKey = &certificate.PrivateKey{RotationPolicy: certificate.RotationNever}
	})
	first, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "kept-tls")

	r, err := h.m.Revoke(h.ctx, ref, RevocationSuperseded, WithCertificateKey())
	require.NoError(t, err)
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(r)))
	second, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "kept-tls")
	require.NotEqual(t, first.SerialNumber, second.SerialNumber)
	assert.False(t, pki.PublicKeysEqual(first.PublicKey, second.PublicKey), "the key that signed the revocation is not reused")
	c := &certificate.Certificate{}
	require.NoError(t, h.st.Get(h.ctx, ref, c))
	assert.NotEmpty(t, c.ObjectMeta.Annotations[certificate.AnnotationCompromisedKey])

	// The revocation's client of its own (no account) names the Issuer's
	// CA in the host label, as the account's clients do.
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(h.m.Metrics()))
	_, requests := samples(t, reg, "certmanager_http_acme_client_request_count")
	dir, err := url.Parse(h.acme.DirectoryURL())
	require.NoError(t, err)
	revocations := 0
	for k := range requests {
		assert.Contains(t, k, `host="`+dir.Host+`"`)
		if strings.Contains(k, `action="revoke_cert"`) {
			revocations++
		}
	}
	assert.Positive(t, revocations)
}

// A Secret whose key is not its certificate's is refused before anything
// is sent: the CA would only reject the signature.
func TestRevokeWithCertificateKeyRefusesAMismatchedKey(t *testing.T) {
	h := startACME(t, acmeSetup{})
	ref := h.issueACME("odd", nil)
	leaf, _ := testrig.ReadSecret(t, h.ctx, h.st, "default", "odd-tls")
	// The issuer cannot reissue while its account is deactivated, so the
	// mismatched Secret stays as written.
	require.NoError(t, h.m.DeactivateAccount(h.ctx, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}))
	replaceSecretKey(t, h, "odd-tls")

	_, err := h.m.Revoke(h.ctx, ref, RevocationSuperseded, WithCertificateKey())
	require.ErrorIs(t, err, ErrKeyMismatch)
	assert.Equal(t, 0, h.acme.Requests(acmetest.EndpointRevokeCert), "nothing was sent")
	_, revoked := h.acme.Revocation(leaf)
	assert.False(t, revoked)
}

// replaceSecretKey writes a fresh private key, not its certificate's, into
// the Secret named name.
func replaceSecretKey(t *testing.T, h *acmeHarness, name string) {
	t.Helper()
	key, err := pki.GenerateKey(pki.AlgECDSA, 256)
	require.NoError(t, err)
	pemKey, err := pki.EncodePrivateKey(key, false)
	require.NoError(t, err)
	s := &secret.Secret{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: name}, s))
	s.Data[secret.TLSKeyKey] = pemKey
	require.NoError(t, h.st.Update(h.ctx, s))
}
