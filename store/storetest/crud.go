package storetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func revOf(t *testing.T, rv string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(rv, 10, 64)
	require.NoError(t, err, "resourceVersion %q is not a decimal revision", rv)
	return n
}

func testCRUD(ctx context.Context, t *testing.T, h *harness) {
	w := h.create(ctx, t, NewWidget("ns", "a", map[string]string{"k": "v1"}))
	assert.NotEmpty(t, w.Metadata.UID)
	assert.Equal(t, int64(1), w.Metadata.Generation)
	require.NotNil(t, w.Metadata.CreationTime)
	assert.True(t, w.Metadata.CreationTime.Equal(h.clk.Now()), "creation time from the injected clock")
	rv1 := revOf(t, w.Metadata.ResourceVersion)

	got := h.get(ctx, t, w)
	assert.Equal(t, w, got)

	got.Data["k"] = "v2"
	require.NoError(t, h.s.Update(ctx, got))
	rv2 := revOf(t, got.Metadata.ResourceVersion)
	assert.Greater(t, rv2, rv1)
	again := h.get(ctx, t, w)
	assert.Equal(t, got, again)
	assert.Equal(t, "v2", again.Data["k"])

	require.NoError(t, h.s.Delete(ctx, w.Ref(), ""))
	assert.ErrorIs(t, h.s.Get(ctx, w.Ref(), &Widget{}), store.ErrNotFound)

	// A set generation is kept by Create.
	g := NewWidget("ns", "gen", nil)
	g.Metadata.Generation = 5
	h.create(ctx, t, g)
	assert.Equal(t, int64(5), h.get(ctx, t, g).Metadata.Generation)
}

func testClusterScoped(ctx context.Context, t *testing.T, h *harness) {
	w := &Widget{Kind: meta.KindClusterIssuer, Metadata: meta.ObjectMeta{Name: "global"}}
	h.create(ctx, t, w)
	got := h.get(ctx, t, w)
	assert.Equal(t, w, got)
	assert.Empty(t, got.Metadata.Namespace)
}

func testInvalid(ctx context.Context, t *testing.T, h *harness) {
	for _, tc := range []struct {
		name string
		w    *Widget
	}{
		{"no kind", &Widget{Metadata: meta.ObjectMeta{Namespace: "ns", Name: "a"}}},
		{"no name", NewWidget("ns", "", nil)},
		{"namespaced kind without namespace", NewWidget("", "a", nil)},
		{"cluster kind with namespace", &Widget{Kind: meta.KindClusterIssuer, Metadata: meta.ObjectMeta{Namespace: "ns", Name: "a"}}},
		{"slash in name", NewWidget("ns", "a/b", nil)},
		{"dot-dot name", NewWidget("ns", "..", nil)},
		{"traversal in name", NewWidget("ns", "../../etc/passwd", nil)},
		{"traversal in namespace", NewWidget("../x", "a", nil)},
		{"NUL in name", NewWidget("ns", "a\x00b", nil)},
		{"backslash in name", NewWidget("ns", `a\b`, nil)},
		{"dot name", NewWidget("ns", ".", nil)},
		{"slash in kind", &Widget{Kind: "W/x", Metadata: meta.ObjectMeta{Namespace: "ns", Name: "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, h.s.Create(ctx, tc.w), store.ErrInvalid)
			assert.Empty(t, tc.w.Metadata.ResourceVersion, "failed create leaves the object unchanged")
			assert.ErrorIs(t, h.s.Get(ctx, tc.w.Ref(), &Widget{}), store.ErrInvalid)
		})
	}
}

func testNotFound(ctx context.Context, t *testing.T, h *harness) {
	w := NewWidget("ns", "missing", nil)
	assert.ErrorIs(t, h.s.Get(ctx, w.Ref(), &Widget{}), store.ErrNotFound)
	w.Metadata.ResourceVersion = "1"
	assert.ErrorIs(t, h.s.Update(ctx, w), store.ErrNotFound)
	assert.ErrorIs(t, h.s.Delete(ctx, w.Ref(), ""), store.ErrNotFound)
}

func testAlreadyExists(ctx context.Context, t *testing.T, h *harness) {
	h.create(ctx, t, NewWidget("ns", "a", nil))
	dup := NewWidget("ns", "a", map[string]string{"x": "y"})
	assert.ErrorIs(t, h.s.Create(ctx, dup), store.ErrAlreadyExists)
	assert.Empty(t, dup.Metadata.ResourceVersion, "failed create leaves the object unchanged")
	assert.Empty(t, dup.Metadata.UID)
	assert.Nil(t, h.get(ctx, t, dup).Data, "the stored object is untouched")
}

func testConflict(ctx context.Context, t *testing.T, h *harness) {
	w := h.create(ctx, t, NewWidget("ns", "a", map[string]string{"n": "0"}))
	stale := h.get(ctx, t, w)
	fresh := h.get(ctx, t, w)
	fresh.Data["n"] = "1"
	require.NoError(t, h.s.Update(ctx, fresh))

	staleRV := stale.Metadata.ResourceVersion
	stale.Data["n"] = "stale"
	assert.ErrorIs(t, h.s.Update(ctx, stale), store.ErrConflict)
	assert.Equal(t, staleRV, stale.Metadata.ResourceVersion, "failed update leaves the object unchanged")
	assert.Equal(t, "1", h.get(ctx, t, w).Data["n"])

	noRV := h.get(ctx, t, w)
	noRV.Metadata.ResourceVersion = ""
	assert.ErrorIs(t, h.s.Update(ctx, noRV), store.ErrConflict, "an update without resourceVersion is stale")
}

func testUpdateKeepsIdentity(ctx context.Context, t *testing.T, h *harness) {
	w := h.create(ctx, t, NewWidget("ns", "a", nil))
	created := *w.Metadata.CreationTime
	uid := w.Metadata.UID
	h.clk.Advance(time.Hour)

	got := h.get(ctx, t, w)
	later := h.clk.Now()
	got.Metadata.CreationTime = &later
	got.Metadata.UID = ""
	got.Metadata.Generation = 0
	require.NoError(t, h.s.Update(ctx, got))
	stored := h.get(ctx, t, w)
	assert.True(t, stored.Metadata.CreationTime.Equal(created), "creation time kept")
	assert.Equal(t, uid, stored.Metadata.UID, "uid kept")
	assert.Equal(t, int64(1), stored.Metadata.Generation, "zero generation keeps the stored one")
	assert.Equal(t, stored, got, "update reports what it stored")

	stored.Metadata.UID = "someone-else"
	assert.ErrorIs(t, h.s.Update(ctx, stored), store.ErrConflict, "changing the uid is a conflict")
}

func testDeleteConditional(ctx context.Context, t *testing.T, h *harness) {
	w := h.create(ctx, t, NewWidget("ns", "a", nil))
	staleRV := w.Metadata.ResourceVersion
	require.NoError(t, h.s.Update(ctx, w))
	assert.ErrorIs(t, h.s.Delete(ctx, w.Ref(), staleRV), store.ErrConflict)
	h.get(ctx, t, w)
	require.NoError(t, h.s.Delete(ctx, w.Ref(), w.Metadata.ResourceVersion))
	assert.ErrorIs(t, h.s.Get(ctx, w.Ref(), &Widget{}), store.ErrNotFound)
}

func testGetZeroesTarget(ctx context.Context, t *testing.T, h *harness) {
	w := h.create(ctx, t, NewWidget("ns", "a", map[string]string{"k": "v"}))
	into := &Widget{Data: map[string]string{"stale": "x"}, Metadata: meta.ObjectMeta{Labels: map[string]string{"stale": "x"}}}
	require.NoError(t, h.s.Get(ctx, w.Ref(), into))
	assert.Equal(t, w, into)
}
