package certflow

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// TestOwnWrites_SparesOnlyTheWriteItRecorded: the event of the exact
// change a reconcile of its owner made (same kind of event, same version)
// is spared, once; any other event of the child is not; a write whose
// event was spared before it returned, and which then failed or wrote
// another version, wakes the owner after all.
func TestOwnWrites_SparesOnlyTheWriteItRecorded(t *testing.T) {
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	child := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "k"}
	ev := func(typ store.EventType, rv string) store.WatchEvent {
		return store.WatchEvent{Type: typ, Ref: child, Meta: meta.ObjectMeta{ResourceVersion: rv, OwnerRefs: []meta.Ref{owner}}}
	}
	created := ownWrite{typ: store.Added, owner: owner}
	var w ownWrites

	w.begin(child, created)
	_, wake := w.end(child, "5", nil)
	assert.False(t, wake)
	got, ok := w.take(ev(store.Added, "5"))
	assert.True(t, ok, "its own create")
	assert.Equal(t, owner, got)
	_, ok = w.take(ev(store.Added, "5"))
	assert.False(t, ok, "spared once")

	w.begin(child, created)
	w.end(child, "5", nil)
	_, ok = w.take(ev(store.Added, "7"))
	assert.False(t, ok, "another version: someone else's namesake")
	_, ok = w.take(ev(store.Added, "5"))
	assert.False(t, ok, "dropped by the child's next event")

	w.begin(child, created)
	w.end(child, "5", nil)
	_, ok = w.take(ev(store.Modified, "5"))
	assert.False(t, ok, "another kind of event")

	// The watch quicker than the write's return.
	w.begin(child, created)
	_, ok = w.take(ev(store.Added, "5"))
	assert.True(t, ok, "spared while the create is under way")
	_, wake = w.end(child, "5", nil)
	assert.False(t, wake, "it was this create")

	w.begin(child, created)
	_, ok = w.take(ev(store.Added, "5"))
	assert.True(t, ok)
	got, wake = w.end(child, "", store.ErrAlreadyExists)
	assert.True(t, wake, "someone else created it: the owner is woken after all")
	assert.Equal(t, owner, got)

	w.begin(child, created)
	w.end(child, "", errors.New("store down"))
	_, ok = w.take(ev(store.Added, "5"))
	assert.False(t, ok, "a failed create spares nothing")

	deleted := ownWrite{typ: store.Deleted, owner: owner, version: "9"}
	w.begin(child, deleted)
	w.end(child, "", nil)
	_, ok = w.take(ev(store.Deleted, "9"))
	assert.True(t, ok, "its own delete of the version decided on")

	w.begin(child, deleted)
	w.end(child, "", store.ErrConflict)
	_, ok = w.take(ev(store.Deleted, "9"))
	assert.False(t, ok, "a failed delete spares nothing")

	w.begin(child, created)
	w.end(child, "5", nil)
	w.reset()
	_, ok = w.take(ev(store.Added, "5"))
	assert.False(t, ok, "a re-list forgets")
}

// TestObserve_OwnChildWriteDoesNotWakeTheOwner: a child created or deleted
// by its owner's reconcile does not wake that owner through its watch
// event; the same change by anyone else does, and so does the owner's
// own write of anything that is not its child.
func TestObserve_OwnChildWriteDoesNotWakeTheOwner(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	queued := func() bool {
		m.queue.mu.Lock()
		defer m.queue.mu.Unlock()
		return m.queue.queued[owner]
	}
	observe := func(typ store.EventType, s *secret.Secret) {
		t.Helper()
		m.observe(ctx, store.WatchEvent{Type: typ, Ref: meta.RefOf(s), Meta: s.ObjectMeta})
	}
	child := func(name string, owners ...meta.Ref) *secret.Secret {
		return &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name, OwnerRefs: owners}}
	}

	mine := child("mine", owner)
	require.NoError(t, m.deps.Store.Create(reconciling(ctx, owner), mine))
	observe(store.Added, mine)
	assert.False(t, queued(), "created by its owner's reconcile")

	rv := mine.ObjectMeta.ResourceVersion
	require.NoError(t, m.deps.Store.Delete(reconciling(ctx, owner), meta.RefOf(mine), rv))
	observe(store.Deleted, mine)
	assert.False(t, queued(), "deleted by its owner's reconcile")

	theirs := child("theirs", owner)
	require.NoError(t, m.deps.Store.Create(ctx, theirs))
	observe(store.Added, theirs)
	assert.True(t, queued(), "created by someone else")
	m.queue.mu.Lock()
	m.queue.items, m.queue.queued = nil, map[meta.Ref]bool{}
	m.queue.mu.Unlock()

	other := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "other"}
	adopted := child("adopted", owner)
	require.NoError(t, m.deps.Store.Create(reconciling(ctx, other), adopted))
	observe(store.Added, adopted)
	assert.True(t, queued(), "created by another object's reconcile")
}
