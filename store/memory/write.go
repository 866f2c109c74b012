package memory

import (
	"context"
	"fmt"
	"unique"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// Create stores a new object and sets obj's UID, ResourceVersion,
// CreationTime and (if zero) Generation. On error obj is left unchanged.
func (s *Store) Create(ctx context.Context, obj meta.Object) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: create: %w", err)
	}
	ref := meta.RefOf(obj)
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("memory: create: %w", err)
	}
	k, err := keepAhead(ref, obj, nil, s.repeats)
	if err != nil {
		return fmt.Errorf("memory: create: %w", err)
	}
	defer k.ahead.release()

	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createLocked(ref, obj, k)
}

// createLocked stores obj, named ref and kept ahead of the lock as k.
func (s *Store) createLocked(ref meta.Ref, obj meta.Object, k kept) error {
	m := obj.GetMeta()
	saved := objects.Save(m)
	kind := s.objects[ref.Kind]
	_, exists, slot := kind.lookupSlot(ref)
	if exists {
		return fmt.Errorf("memory: create %s: %w", ref, store.ErrAlreadyExists)
	}
	rev := s.rev + 1
	if err := objects.PrepareCreate(m, rev, s.clock.Now()); err != nil {
		saved.Restore(m)
		return fmt.Errorf("memory: create %s: %w", ref, err)
	}
	var scope unique.Handle[entryScope]
	if kind != nil {
		scope = kind.scope
	}
	e, err := newEntry(ref, obj, k, scope)
	if err != nil {
		saved.Restore(m)
		return fmt.Errorf("memory: create: %w", err)
	}
	if kind == nil {
		kind = newEntryTable(s.ids)
		s.objects[ref.Kind] = kind
	}
	kind.scope = e.scope
	id := s.ids.add(e)
	kind.putAt(ref, id, slot)
	s.index.add(id, e)
	s.commitLocked(store.Added, e, rev)
	return nil
}

// Update replaces the object if obj's ResourceVersion (and UID, if set) match
// the stored ones, else returns store.ErrConflict. It keeps the stored UID and
// CreationTime and sets obj's new ResourceVersion. On error obj is unchanged.
func (s *Store) Update(ctx context.Context, obj meta.Object) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: update: %w", err)
	}
	ref := meta.RefOf(obj)
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("memory: update: %w", err)
	}
	m := obj.GetMeta()
	saved := objects.Save(m)
	// The version stored now lends its strings to the new one where
	// equal (entries are immutable: it may be replaced meanwhile).
	s.mu.RLock()
	prevID, found := s.objects[ref.Kind].lookup(ref)
	var prev *entry
	if found {
		prev = s.ids.entry(prevID)
	}
	s.mu.RUnlock()
	k, err := keepAhead(ref, obj, prev, s.repeats)
	if err != nil {
		return fmt.Errorf("memory: update: %w", err)
	}
	defer k.ahead.release()

	s.mu.Lock()
	defer s.mu.Unlock()
	// The object is still at prevID when its entry is still prev (ids are
	// never dropped, and prev, which this write holds, is no other's).
	id, ok := prevID, found && s.ids.entry(prevID) == prev
	if !ok {
		id, ok = s.objects[ref.Kind].lookup(ref)
	}
	if !ok {
		return fmt.Errorf("memory: update %s: %w", ref, store.ErrNotFound)
	}
	old := s.ids.entry(id)
	rev := s.rev + 1
	// The stored UID and CreationTime go into obj: the caller's own where
	// equal, the common case, else copies (never the entry's).
	var v storedView
	old.viewStoreFields(&v)
	stored := meta.ObjectMeta{UID: v.ownUID(m.UID), ResourceVersion: v.resourceVersion,
		Generation: v.generation, CreationTime: v.creationFor(m.CreationTime)}
	if err := objects.PrepareUpdate(ref, m, &stored, rev); err != nil {
		saved.Restore(m)
		return fmt.Errorf("memory: update: %w", err)
	}
	e, err := newEntry(old.viewRef(), obj, k, old.scope)
	if err != nil {
		saved.Restore(m)
		return fmt.Errorf("memory: update: %w", err)
	}
	s.ids.replace(id, e)
	if !sameIndexed(old, e) {
		s.index.update(id, e)
	}
	s.commitLocked(store.Modified, e, rev)
	return nil
}

// Delete removes the object; a non-empty resourceVersion must match the
// stored one (else store.ErrConflict).
func (s *Store) Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: delete: %w", err)
	}
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("memory: delete: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok, slot := s.objects[ref.Kind].lookupSlot(ref)
	if !ok {
		return fmt.Errorf("memory: delete %s: %w", ref, store.ErrNotFound)
	}
	old := s.ids.entry(id)
	var v storedView
	old.viewStoreFields(&v)
	if err := objects.CheckDelete(ref, resourceVersion, v.resourceVersion); err != nil {
		return fmt.Errorf("memory: delete: %w", err)
	}
	s.objects[ref.Kind].removeAt(slot.i)
	s.index.remove(id)
	s.ids.remove(id)
	s.commitLocked(store.Deleted, old, s.rev+1)
	return nil
}

// commitLocked advances the revision to rev, records the change in the
// history and wakes every watcher to take it. The history holds e, the
// entry the change left (the deleted one for a deletion): entries never
// change, and a watcher reads its metadata when it takes the change.
func (s *Store) commitLocked(typ store.EventType, e *entry, rev uint64) {
	s.rev = rev
	c := change{typ: typ, rev: rev, e: e}
	s.hist.add(c, s.oldestNeededLocked)
	s.wakeLocked(c)
}
