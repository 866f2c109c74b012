package serve

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/canon"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// A Cache beside a memory store serves the store's own copy of a leaf
// (internal/canon), not a copy of its own: a Manager on the memory store
// holds each leaf once.
func TestSharedLeaf_TheMemoryStoresCopy(t *testing.T) {
	list, err := makeTLSSecrets(1)
	require.NoError(t, err)
	st := memory.New(memory.WithHistory(1))
	stored := *list[0]
	stored.ObjectMeta.ResourceVersion = ""
	require.NoError(t, st.Create(context.Background(), &stored))
	chain, err := certChain(list[0].Data["tls.crt"])
	require.NoError(t, err)
	storeCopy, ok := canon.Lookup(chain[0])
	require.True(t, ok, "the store holds the leaf's DER in the table")

	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(list[0]))
	served := c.certs.secrets.get(meta.RefOf(list[0])).cert.Certificate
	require.NotEmpty(t, served)
	assert.Same(t, &storeCopy[0], &served[0][0], "the store's copy is served")
	assert.Equal(t, chain, served)
	// A Store let go releases its copies (a cleanup): the table would
	// forget the leaf were a collection to run before the Cache looked.
	runtime.KeepAlive(st)
}
