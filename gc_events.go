package certflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// collectEventAt collects the Event ref, whose owners are owners, at the
// version rv the Manager already knows (its events writer stored it, or
// the watch delivered it), without reading the Event first: collecting a
// deleted Challenge's events cost a Get before each conditional Delete.
//
// The Delete stays conditional on rv. It reports false, to read and judge
// the Event as stored (the path before this one), when rv is not known,
// when the owners are not known or not all gone, or when the Event
// changed since rv (store.ErrConflict): another replica counted it again,
// or something else rewrote it, and what it is now decides, not what rv
// was. owners must be the Event's owners at rv.
func (m *Manager) collectEventAt(ctx context.Context, ref meta.Ref, rv string, owners []meta.Ref) (bool, error) {
	if ref.Kind != meta.KindEvent || rv == "" || len(owners) == 0 {
		return false, nil
	}
	raw := store.Raw{Ref: ref, ResourceVersion: rv}
	if m.wiring.orphaned(raw) != reconcile.OrphanCollect {
		return false, nil // a rule that reads the Event: read it
	}
	gone, err := m.ownersGone(ctx, ref, owners)
	if err != nil {
		return true, err
	}
	if !gone {
		return false, nil // kept, if what is stored says so too
	}
	err = m.cfg.Store.Delete(ctx, ref, rv)
	switch {
	case errors.Is(err, store.ErrConflict):
		return false, nil
	case errors.Is(err, store.ErrNotFound):
		return true, nil
	case err != nil:
		return true, fmt.Errorf("certflow: collect %s: %w", ref, err)
	}
	// Asked first: the call's arguments cost three allocations even when
	// the level is off, and every issuance collects its Challenge's four.
	if m.cfg.Logger.Enabled(ctx, slog.LevelDebug) {
		m.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "collected an object whose owners are gone",
			slog.String(meta.LogKind, string(ref.Kind)), slog.String(meta.LogNamespace, ref.Namespace),
			slog.String(meta.LogName, ref.Name))
	}
	m.forget(ref)
	return true, m.collect(ctx, ref)
}

// collectKnownEvent is collectEventAt of ref, a child of owner found in
// the owner index as owner's deletion is observed, at the version this
// Manager's writer stored it at. Only a version no later than that
// deletion is used: the index then holds the Event's owners as of that
// version (the watch delivered every change up to the deletion, and
// observeEvent indexes an Event's owners when they change), and if the
// Event changed since, the Delete conflicts. A later one (counted again
// after its owner was deleted) may carry owners the watch has not
// delivered yet: it is read.
func (m *Manager) collectKnownEvent(ctx context.Context, owner, ref meta.Ref) (bool, error) {
	if ref.Kind != meta.KindEvent {
		return false, nil
	}
	rv, ok := m.events.writer.Version(ref)
	if !ok {
		return false, nil
	}
	v, err := strconv.ParseUint(rv, 10, 64)
	if deletedAt, deleted := m.owners.deletedAt(owner); err != nil || !deleted || v > deletedAt {
		return false, nil
	}
	return m.collectEventAt(ctx, ref, rv, m.owners.of(ref))
}

// deletedAt returns the revision the watch delivered ref's deletion at, if
// it is among the recently deleted objects.
func (x *ownerIndex) deletedAt(ref meta.Ref) (uint64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.deleted.revision(ref)
}
