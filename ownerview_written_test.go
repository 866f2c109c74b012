package certflow

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// TestWakesOwners_WrittenViewNeedsNoRead: the watch event of an update a
// reconcile made is compared with what its owners saw by the view as
// written, without reading the object from the Store; it wakes exactly as
// a read would have. An update made by anyone else is read.
func TestWakesOwners_WrittenViewNeedsNoRead(t *testing.T) {
	ctx := context.Background()
	st := storecount.New(memory.New())
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	owner := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "o"}
	ch := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o-c", OwnerRefs: []meta.Ref{owner}},
		Spec: challenge.Spec{DNSName: "a.example.test", Type: solver.HTTP01, Token: testTokenGC}}
	require.NoError(t, st.Create(ctx, ch))
	changed := func(typ store.EventType) (wakes bool, reads int64) {
		t.Helper()
		before := st.Counts().Of(storecount.Get)
		wakes = m.wakesOwners(ctx, store.WatchEvent{Type: typ, Ref: meta.RefOf(ch), Meta: ch.ObjectMeta})
		return wakes, st.Counts().Of(storecount.Get) - before
	}
	wakes, _ := changed(store.Added)
	assert.True(t, wakes, "a new child")

	byReconcile := func(what string, wantWake bool, change func(s *challenge.Status)) {
		t.Helper()
		change(&ch.Status)
		require.NoError(t, m.deps.Store.Update(reconciling(ctx, meta.RefOf(ch)), ch))
		wakes, reads := changed(store.Modified)
		assert.Equal(t, wantWake, wakes, what)
		assert.Zero(t, reads, "%s: compared as written", what)
	}
	byReconcile("presented", false, func(s *challenge.Status) { s.State, s.Processing, s.Presented = challenge.StatePending, true, true })
	byReconcile("valid", true, func(s *challenge.Status) { s.State = challenge.StateValid })

	ch.Status.CleanedUp, ch.Status.Presented, ch.Status.Processing = true, false, false
	require.NoError(t, st.Update(ctx, ch))
	wakes, reads := changed(store.Modified)
	assert.True(t, wakes, "cleaned up")
	assert.Equal(t, int64(1), reads, "written by someone else: read")
}

// TestWrittenViews_LentViewOfAFailedWriteWakes: an event that takes the
// view of an update still under way gets it; when that update then fails,
// the view was never stored and the owners must be woken. Once written,
// only the event of the version written gets the view.
func TestWrittenViews_LentViewOfAFailedWriteWakes(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: "c"}
	var w writtenViews

	w.begin(ref, "v1")
	view, ok := w.take(ref, "7")
	assert.True(t, ok)
	assert.Equal(t, "v1", view)
	assert.True(t, w.end(ref, "", store.ErrConflict), "lent, then not stored: wake")

	w.begin(ref, "v2")
	assert.False(t, w.end(ref, "", store.ErrConflict), "not lent: nothing to repair")
	_, ok = w.take(ref, "8")
	assert.False(t, ok, "a failed write keeps nothing")

	w.begin(ref, "v3")
	assert.False(t, w.end(ref, "9", nil))
	_, ok = w.take(ref, "10")
	assert.False(t, ok, "another version is read")
	view, ok = w.take(ref, "9")
	assert.True(t, ok, "the version written")
	assert.Equal(t, "v3", view)

	// Written three times before the watch delivers the first event.
	for i, v := range []string{"a", "b", "c"} {
		w.begin(ref, v)
		w.end(ref, []string{"11", "12", "13"}[i], nil)
	}
	for i, v := range []string{"a", "b", "c"} {
		view, ok = w.take(ref, []string{"11", "12", "13"}[i])
		assert.True(t, ok)
		assert.Equal(t, v, view)
	}
	_, ok = w.take(ref, "13")
	assert.False(t, ok, "each view once")
}
