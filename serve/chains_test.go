package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/secret"
)

// Secrets signed by one CA share one copy of the CA's certificate, whether
// put one by one or loaded together; each still serves its own leaf and the
// full chain.
func TestChainCertificatesAreShared(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "a", leaf{dns: []string{"a.example"}})))
	require.NoError(t, c.Apply([]*secret.Secret{
		ca.secretFor(t, "ns", "b", leaf{dns: []string{"b.example"}}),
		ca.secretFor(t, "ns", "c", leaf{dns: []string{"c.example"}}),
	}, nil))
	var first *byte
	for _, name := range []string{"a.example", "b.example", "c.example"} {
		cert, err := c.GetCertificate(hello(name))
		require.NoError(t, err)
		require.Len(t, cert.Certificate, 2)
		assert.Equal(t, ca.cert.Raw, cert.Certificate[1], name)
		assert.Equal(t, []string{name}, leafNames(t, cert))
		if first == nil {
			first = &cert.Certificate[1][0]
		}
		assert.Same(t, first, &cert.Certificate[1][0], "%s: one copy of the CA", name)
	}
}
