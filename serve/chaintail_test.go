package serve

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/secret"
)

// Secrets parsed one after the other are each served with their own
// chain: the CA's block remembered from the one before where it is the
// same, decoded anew where it is another CA's or none.
func TestParseChainAfterTheLeaf(t *testing.T) {
	ca, other := newTestCA(t), newTestCA(t)
	crtA, keyA := ca.issue(t, leaf{dns: []string{"a.example"}})
	crtB, keyB := ca.issue(t, leaf{dns: []string{"b.example"}})
	crtC, keyC := other.issue(t, leaf{dns: []string{"c.example"}})
	crtD, keyD := ca.issue(t, leaf{dns: []string{"d.example"}})
	leafOnly, _ := pem.Decode(crtD) // d without its CA
	crtD = pem.EncodeToMemory(leafOnly)

	c := NewCache(Options{})
	var p Parsed
	c.Parse(&p, []*secret.Secret{tlsSecret("ns", "a", crtA, keyA), tlsSecret("ns", "b", crtB, keyB),
		tlsSecret("ns", "c", crtC, keyC), tlsSecret("ns", "d", crtD, keyD), tlsSecret("ns", "b2", bytes.Clone(crtB), keyB)})
	require.NoError(t, c.ApplyParsed(&p))
	for name, want := range map[string]*x509.Certificate{"a.example": ca.cert, "b.example": ca.cert, "c.example": other.cert} {
		chain := mustGet(t, c, name).Certificate
		require.Len(t, chain, 2, name)
		assert.Equal(t, name, leafOf(t, mustGet(t, c, name)).DNSNames[0])
		assert.Equal(t, want.Raw, chain[1], "%s: its own CA", name)
	}
	assert.Len(t, mustGet(t, c, "d.example").Certificate, 1, "a leaf without its CA was given one")
}

// What the tail remembers is a copy: the caller reusing the bytes of the
// Secret it came from does not change it.
func TestChainTailKeepsACopy(t *testing.T) {
	ca := newTestCA(t)
	crt, _ := ca.issue(t, leaf{dns: []string{"a.example"}})
	var tail chainTail
	chain, err := certChainAfter(crt, &tail)
	require.NoError(t, err)
	require.Len(t, chain, 2)
	_, after := pem.Decode(crt)
	want := bytes.Clone(after)
	for i := range crt {
		crt[i] = 'A'
	}
	assert.Equal(t, want, tail.pem)
	assert.Equal(t, [][]byte{ca.cert.Raw}, tail.ders)
}
