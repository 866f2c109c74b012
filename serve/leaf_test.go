package serve

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// Two Caches loading the same Secret, one by PutSecret and one by Apply,
// serve one copy of its leaf: the process's canonical copy, which the
// memory store also holds (store/memory's slabs); the chain served is
// the Secret's all the same. A GC between the loads must not free the
// canonical copy while the first Cache still serves it.
func TestSharedLeaf_EqualLeavesAreOneCopy(t *testing.T) {
	list, err := makeTLSSecrets(1)
	require.NoError(t, err)
	put, applied := NewCache(Options{}), NewCache(Options{})
	require.NoError(t, put.PutSecret(list[0]))
	runtime.GC()
	require.NoError(t, applied.Apply(list, nil))
	a := put.certs.secrets.get(meta.RefOf(list[0])).cert.Certificate
	b := applied.certs.secrets.get(meta.RefOf(list[0])).cert.Certificate
	require.NotEmpty(t, a)
	require.NotEmpty(t, b)
	assert.Same(t, &a[0][0], &b[0][0], "one copy of the leaf")
	chain, err := certChain(list[0].Data["tls.crt"])
	require.NoError(t, err)
	assert.Equal(t, chain, a)
	assert.Equal(t, chain, b)
}
