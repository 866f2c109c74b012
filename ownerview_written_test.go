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
		// A wake is due at the write already (wakeAtWrite); its event
		// then wakes nobody again.
		assert.Equal(t, wantWake, m.queue.Len() == 1, "%s: owner queued at the write", what)
		drainQueue(t, m.queue)
		wakes, reads := changed(store.Modified)
		assert.False(t, wakes, "%s: the event of the write wakes nobody again", what)
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

// TestWakesOwners_CreatedViewNeedsNoRead: the Added event of a child a
// reconcile created wakes its owners without reading the child from the
// Store (its view is kept as created); one created by anyone else is read.
func TestWakesOwners_CreatedViewNeedsNoRead(t *testing.T) {
	ctx := context.Background()
	st := storecount.New(memory.New())
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	owner := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "o"}
	added := func(ch *challenge.Challenge) (wakes bool, reads int64) {
		t.Helper()
		before := st.Counts().Of(storecount.Get)
		wakes = m.wakesOwners(ctx, store.WatchEvent{Type: store.Added, Ref: meta.RefOf(ch), Meta: ch.ObjectMeta})
		return wakes, st.Counts().Of(storecount.Get) - before
	}
	mine := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o-1", OwnerRefs: []meta.Ref{owner}},
		Spec: challenge.Spec{DNSName: "a.example.test", Type: solver.HTTP01, Token: testTokenGC}}
	require.NoError(t, m.deps.Store.Create(reconciling(ctx, owner), mine))
	wakes, reads := added(mine)
	assert.True(t, wakes, "a new child wakes its owner")
	assert.Zero(t, reads, "created by a reconcile: compared as written")

	theirs := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o-2", OwnerRefs: []meta.Ref{owner}},
		Spec: challenge.Spec{DNSName: "b.example.test", Type: solver.HTTP01, Token: testTokenGC}}
	require.NoError(t, st.Create(ctx, theirs))
	wakes, reads = added(theirs)
	assert.True(t, wakes)
	assert.Equal(t, int64(1), reads, "created by someone else: read")

}

// TestWrittenViews_OnlyAWrittenVersionGetsItsView: an event gets the view
// of exactly the version written; one that arrives while the update is
// under way, or after it failed, reads the Store, so a view never stored
// never becomes what the owners saw. Two updates of one object under way
// at once each end their own.
func TestWrittenViews_OnlyAWrittenVersionGetsItsView(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: "c"}
	var w writtenViews

	h := w.begin(ref, "v1")
	_, ok := w.take(ref, "7")
	assert.False(t, ok, "under way: read")
	w.end(ref, h, "", store.ErrConflict)
	_, ok = w.take(ref, "7")
	assert.False(t, ok, "a failed write keeps nothing")

	h = w.begin(ref, "v3")
	w.end(ref, h, "9", nil)
	_, ok = w.take(ref, "10")
	assert.False(t, ok, "another version is read")
	view, ok := w.take(ref, "9")
	assert.True(t, ok, "the version written")
	assert.Equal(t, "v3", view)

	// Two writers: A begins, B begins, A is stored, B conflicts.
	a := w.begin(ref, "by A")
	b := w.begin(ref, "by B")
	w.end(ref, a, "11", nil)
	view, ok = w.take(ref, "11")
	assert.True(t, ok)
	assert.Equal(t, "by A", view, "each update ends its own view")
	w.end(ref, b, "", store.ErrConflict)
	_, ok = w.take(ref, "12")
	assert.False(t, ok, "B's view was never stored")
	assert.Empty(t, w.m[ref], "nothing left behind")

	// Written three times before the watch delivers the first event.
	for i, v := range []string{"a", "b", "c"} {
		h := w.begin(ref, v)
		w.end(ref, h, []string{"21", "22", "23"}[i], nil)
	}
	for i, v := range []string{"a", "b", "c"} {
		view, ok = w.take(ref, []string{"21", "22", "23"}[i])
		assert.True(t, ok)
		assert.Equal(t, v, view)
	}
	_, ok = w.take(ref, "23")
	assert.False(t, ok, "each view once")
}

// TestWrittenViews_NoAllocationPerWrite: an object written, its event
// taken, then the next object written: each request, Order and Challenge
// goes through this several times, and it allocated a handle and a slice
// each time.
func TestWrittenViews_NoAllocationPerWrite(t *testing.T) {
	var w writtenViews
	refs := []meta.Ref{{Kind: meta.KindChallenge, Namespace: "ns", Name: "a"}, {Kind: meta.KindChallenge, Namespace: "ns", Name: "b"}}
	var view any = "view"
	cycle := func() {
		for _, ref := range refs {
			h := w.begin(ref, view)
			w.end(ref, h, "7", nil)
			if _, ok := w.take(ref, "7"); !ok {
				t.Fatal("view not kept")
			}
		}
	}
	cycle()
	assert.Zero(t, testing.AllocsPerRun(100, cycle))
}
