package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// testCreateBatch checks store.CreateBatchOf, through the store's
// CreateBatch when it is a store.BatchCreator: each object is created, or
// fails, as its own Create would, with its own revision in order, and a
// watch sees every creation in that order. More objects than one turn of
// a lock would take (the memory store's 64), so a batch split in turns is
// checked too. The watch is checked unless the store declares a history
// (WithHistory) too short to hold the batch for a reader this far behind.
func testCreateBatch(ctx context.Context, t *testing.T, h *harness, history int) {
	dup := h.create(ctx, t, NewWidget("ns", "dup", map[string]string{"v": "first"}))
	res, err := h.s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	ch, err := h.s.Watch(ctx, res.Revision)
	require.NoError(t, err)

	const n = 150
	var (
		objs  []meta.Object
		fresh []*Widget
	)
	again := NewWidget("ns", "dup", map[string]string{"v": "second"})
	invalid := NewWidget("ns", "a/b", nil)
	for i := range n {
		w := NewWidget("ns", fmt.Sprintf("w%03d", i), map[string]string{"i": fmt.Sprint(i)})
		fresh = append(fresh, w)
		objs = append(objs, w)
		switch i {
		case 10:
			objs = append(objs, again)
		case 70:
			objs = append(objs, invalid)
		}
	}
	errs := make([]error, len(objs))
	store.CreateBatchOf(ctx, h.s, objs, errs)

	for i, obj := range objs {
		switch obj {
		case again:
			assert.ErrorIs(t, errs[i], store.ErrAlreadyExists)
		case invalid:
			assert.ErrorIs(t, errs[i], store.ErrInvalid)
		default:
			assert.NoError(t, errs[i], "%s", meta.RefOf(obj))
		}
	}
	assert.Empty(t, again.Metadata.ResourceVersion, "a failed create leaves the object unchanged")
	assert.Empty(t, invalid.Metadata.ResourceVersion, "a failed create leaves the object unchanged")
	assert.Equal(t, "first", h.get(ctx, t, dup).Data["v"], "the stored object is untouched")

	last := res.Revision
	for _, w := range fresh {
		rv := revOf(t, w.Metadata.ResourceVersion)
		assert.Greater(t, rv, last, "%s: a revision of its own, after the one before", w.Ref())
		last = rv
		assert.Equal(t, w, h.get(ctx, t, w), "stored as created")
		if history != 0 && history < len(objs) {
			continue
		}
		ev := recv(ctx, t, ch)
		require.NoError(t, ev.Err)
		assert.Equal(t, store.Added, ev.Type)
		assert.Equal(t, w.Ref(), ev.Ref, "watched in the batch's order")
		assert.Equal(t, rv, ev.Revision)
	}

	// Once ctx ends nothing more is created.
	done, cancel := context.WithCancel(ctx)
	cancel()
	late := NewWidget("ns", "late", nil)
	errs = errs[:1]
	store.CreateBatchOf(done, h.s, []meta.Object{late}, errs)
	assert.ErrorIs(t, errs[0], context.Canceled)
	assert.ErrorIs(t, h.s.Get(ctx, late.Ref(), &Widget{}), store.ErrNotFound)
}
