package certificate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/secret"
)

// With rotationPolicy Never the next issuance reuses the Secret's key, but
// never one marked compromised: neither copied into a new next-key Secret
// nor taken from a next-key Secret made before the mark.
func TestCompromisedKeyIsNeverReused(t *testing.T) {
	key, err := pki.GenerateKey(pki.AlgECDSA, 256)
	require.NoError(t, err)
	cert := harnessCert("web", "web-tls", "web.example.test")
	cert.Spec.PrivateKey = &PrivateKey{Algorithm: ECDSA, Size: 256, RotationPolicy: RotationNever}
	kp := &keyPair{key: key}

	reused := newNextKeySecret(cert, kp)
	assert.Equal(t, pemOf(t, key), reused.Data[secret.TLSKeyKey], "rotationPolicy Never keeps the key")
	next, stale := usableNextKey(cert, reused, &parsers{})
	require.False(t, stale)
	require.NotNil(t, next)

	other, err := pki.GenerateKey(pki.AlgECDSA, 256)
	require.NoError(t, err)
	require.NoError(t, MarkKeyCompromised(cert, other.Public()))
	assert.NotEmpty(t, newNextKeySecret(cert, kp).Data[secret.TLSKeyKey], "another key's mark changes nothing")

	require.NoError(t, MarkKeyCompromised(cert, key.Public()))
	assert.Empty(t, newNextKeySecret(cert, kp).Data[secret.TLSKeyKey], "the compromised key is left for a new one")
	next, stale = usableNextKey(cert, reused, &parsers{})
	assert.Nil(t, next)
	assert.True(t, stale, "a next-key Secret holding the compromised key is replaced")
}
