package certificate

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// keyFirst is the Store a plan creating a key and its request executes
// on, so the version check before it (reconcile's fresh) reads through
// it: it must reach the Store's metadata read, not decode a whole
// Certificate by Get.
func TestKeyFirst_PassesMetadataReadsOn(t *testing.T) {
	ctx := context.Background()
	counts := storecount.New(memory.New())
	c := harnessCert("web", "web-tls", "web.example.test")
	require.NoError(t, counts.Create(ctx, c))
	before := counts.Counts()
	m, err := store.GetMetaOf(ctx, &keyFirst{Store: counts}, meta.RefOf(c), func() meta.Object { return &Certificate{} })
	require.NoError(t, err)
	assert.Equal(t, c.ObjectMeta.ResourceVersion, m.ResourceVersion)
	assert.Equal(t, "get-meta=1", counts.Counts().Sub(before).String())
}
