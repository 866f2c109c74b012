package file

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/storetest"
)

// A batch fsyncs each directory it renames files into once per turn of
// the lock, not once per object: 100 objects in two namespaces, created
// in two turns (64 and 36), sync each namespace directory twice.
func TestCreateBatchSyncsEachDirectoryOncePerTurn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	synced := &syncLog{}
	s, err := Open(dir, func(o *options) { o.synced = synced.add })
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	synced.take()

	const n = 100
	objs := make([]meta.Object, n)
	for i := range objs {
		objs[i] = storetest.NewWidget(fmt.Sprintf("ns%d", i%2), fmt.Sprintf("w%03d", i), nil)
	}
	errs := make([]error, n)
	s.CreateBatch(ctx, objs, errs)
	for i, err := range errs {
		require.NoError(t, err, "object %d", i)
	}
	turns := (n + batchTurn - 1) / batchTurn
	require.Equal(t, 2, turns)
	got := synced.take()
	kind := filepath.Join(dir, objectsDir, string(storetest.KindWidget))
	for _, ns := range []string{"ns0", "ns1"} {
		assert.Equal(t, turns, countOf(got, filepath.Join(kind, ns)), "%s: once a turn: %q", ns, got)
	}
	assert.Equal(t, 2, countOf(got, kind), "each new namespace directory, once: %q", got)
}
