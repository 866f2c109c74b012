package memory

import (
	"context"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/storetest"
)

// pointsInto reports whether s's bytes lie in e's slab.
func pointsInto(s string, e *entry) bool {
	if len(s) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.StringData(e.named)))
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	return p >= start && p < start+uintptr(len(e.named))
}

// Update reads the stored UID and CreationTime without copying them, and
// hands the caller the stored values as strings and a time of its own:
// its own UID when equal, else a copy; never the slab's bytes (a caller
// keeping its object would keep the replaced version's slab alive).
func TestUpdate_StoreFieldsAreTheCallers(t *testing.T) {
	ctx := context.Background()
	s := New()
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, s.Create(ctx, w))
	stored := *w.Metadata.CreationTime
	uid := w.Metadata.UID
	require.Len(t, uid, 36)

	mine := w.Metadata.UID
	require.NoError(t, s.Update(ctx, w))
	assert.Same(t, unsafe.StringData(mine), unsafe.StringData(w.Metadata.UID), "the caller's equal UID is kept")

	for _, tc := range []struct {
		name string
		set  func(m *meta.ObjectMeta)
	}{
		{"no UID, no creation time", func(m *meta.ObjectMeta) { m.UID, m.CreationTime = "", nil }},
		{"another creation time", func(m *meta.ObjectMeta) { later := stored.Add(1); m.CreationTime = &later }},
		{"the same creation time", func(m *meta.ObjectMeta) { same := stored; m.CreationTime = &same }},
	} {
		tc.set(&w.Metadata)
		given := w.Metadata.CreationTime
		require.NoError(t, s.Update(ctx, w), tc.name)
		e := s.objects[w.Ref().Kind].get(w.Ref())
		require.NotNil(t, e.codec(), "kept in a slab")
		assert.Equal(t, uid, w.Metadata.UID, tc.name)
		assert.False(t, pointsInto(w.Metadata.UID, e), tc.name)
		require.NotNil(t, w.Metadata.CreationTime, tc.name)
		assert.Equal(t, stored, *w.Metadata.CreationTime, tc.name)
		assert.NotSame(t, given, w.Metadata.CreationTime, "%s: a time of its own", tc.name)
	}

	w.Metadata.UID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	assert.ErrorIs(t, s.Update(ctx, w), store.ErrConflict, "another UID")
	stale := storetest.NewWidget("ns", "a", nil)
	stale.Metadata.ResourceVersion = "1"
	assert.ErrorIs(t, s.Update(ctx, stale), store.ErrConflict, "a stale version")
	assert.ErrorIs(t, s.Delete(ctx, w.Ref(), "1"), store.ErrConflict, "a stale version")
	got := &storetest.Widget{}
	require.NoError(t, s.Get(ctx, w.Ref(), got))
	require.NoError(t, s.Delete(ctx, w.Ref(), got.Metadata.ResourceVersion))
}
