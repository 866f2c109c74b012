package metrics

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// A batch of creates is timed as a Create of each object, with its own
// result: the count of creates stays the count of objects written.
func TestStore_TimesABatchAsACreateOfEachObject(t *testing.T) {
	r := newRig(t)
	s := r.m.Store(r.store)
	bc, ok := s.(store.BatchCreator)
	require.True(t, ok, "the timed Store passes batches on")
	require.NoError(t, s.Create(r.ctx, cert("default", "taken", meta.IssuerRef{Name: "ca"})))
	objs := []meta.Object{
		cert("default", "a", meta.IssuerRef{Name: "ca"}),
		cert("default", "taken", meta.IssuerRef{Name: "ca"}),
		cert("default", "b", meta.IssuerRef{Name: "ca"}),
	}
	errs := make([]error, len(objs))
	bc.CreateBatch(r.ctx, objs, errs)
	assert.NoError(t, errs[0])
	assert.ErrorIs(t, errs[1], store.ErrAlreadyExists)
	assert.NoError(t, errs[2])
	assert.Equal(t, map[string]float64{
		`{operation="create",result="success"}`:        3,
		`{operation="create",result="already_exists"}`: 1,
	}, gather(t, r.m)["certflow_store_operation_duration_seconds"].samples)
}
