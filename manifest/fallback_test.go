package manifest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

const fallbackCertificate = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: www
  namespace: web
spec:
  secretName: www-tls
  dnsNames: [www.example.com]
  issuerRef:
    name: letsencrypt
    kind: ClusterIssuer
  fallbackIssuerRefs:
  - name: zerossl
    kind: ClusterIssuer
  - name: internal-ca
`

// TestDecodeFallbackIssuerRefs: a Certificate with fallback issuers
// decodes (strictly too), validates, and survives an encode/decode round
// trip unchanged.
func TestDecodeFallbackIssuerRefs(t *testing.T) {
	objs, err := DecodeStrict([]byte(fallbackCertificate))
	require.NoError(t, err)
	require.Len(t, objs, 1)
	crt := objs[0].(*certificate.Certificate)
	assert.Equal(t, []meta.IssuerRef{{Name: "zerossl", Kind: meta.KindClusterIssuer}, {Name: "internal-ca"}}, crt.Spec.FallbackIssuerRefs)
	require.NoError(t, certificate.Validate(crt))

	out, err := Encode(crt)
	require.NoError(t, err)
	again, err := DecodeStrict(out)
	require.NoError(t, err)
	assert.Equal(t, crt.Spec, again[0].(*certificate.Certificate).Spec)
}

// TestDecodeFallbackIssuerRefNamespace: a fallback issuerRef has no
// namespace field either; the error names the item.
func TestDecodeFallbackIssuerRefNamespace(t *testing.T) {
	data := []byte(fallbackCertificate + "    namespace: other\n")
	_, err := Decode(data)
	require.ErrorIs(t, err, ErrIssuerRefNamespace)
	var de *DocumentError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "spec.fallbackIssuerRefs[1].namespace", de.Path)
}
