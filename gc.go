package certflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// Garbage collection follows owner references as Kubernetes' collector
// does, and is level-triggered: an object whose owners are all gone is
// collected whenever the Manager looks at it — when an owner's deletion is
// observed, at every resync (start-up, re-list after a broken watch), and
// before each reconcile of an owned object — so an owner deleted while no
// Manager watched (another tool, a crash between delete and collect) leaves
// nothing that keeps driving the CA. What becomes of an orphan is the
// reconcile.OrphanRule its resource package contributed (wiring.orphaned);
// this file never looks at kinds.

// collect deletes what owner owned once owner is gone. An owned object that
// must finish first (a Challenge whose solver may still hold a record) is
// reconciled now and collected when it has finished.
//
// Once the Manager has listed the Store, its owner index knows every owned
// object up to the watch's position, so the children are read from it
// instead of a List filtering every object of the namespace (which made
// each deletion cost as much as the Store is large). A child the index has
// not seen yet was written after that position: its own change is
// observed later, and its owners are checked then (observe, checkOwners).
func (m *Manager) collect(ctx context.Context, owner meta.Ref) error {
	m.owners.deletedHere(owner)
	if !m.owners.mayOwn(owner.Kind) {
		// No object of this kind was seen owning anything: spare the List.
		// One created meanwhile is collected when it is reconciled.
		return nil
	}
	children, indexed := m.owners.childrenOf(owner)
	if !indexed {
		return m.collectOwned(ctx, owner)
	}
	var errs []error
	for _, ref := range children {
		if done, err := m.collectKnownEvent(ctx, owner, ref); done {
			errs = append(errs, err)
			continue
		}
		raw, om, err := m.readOwned(ctx, ref)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, m.judgeChild(ctx, raw, om))
	}
	return errors.Join(errs...)
}

// readOwned reads ref as collect judges it: its metadata, and its version
// and encoding as a listed object. A kind with no orphan rule is judged on
// its metadata alone, so it is read into its own type, which a store
// keeping decoded objects copies (an owner's Events, collected with it,
// are most of what is collected); its Raw has no Data then. One whose body
// does not decode into its type (store.ErrCorrupt) is read for its
// metadata alone, as any kind once was, so it is still collected.
func (m *Manager) readOwned(ctx context.Context, ref meta.Ref) (store.Raw, meta.ObjectMeta, error) {
	if _, ruled := m.wiring.orphans[ref.Kind]; !ruled {
		if obj, err := newObject(ref.Kind); err == nil {
			err := m.cfg.Store.Get(ctx, ref, obj)
			if err == nil {
				om := obj.GetMeta()
				return store.Raw{Ref: ref, ResourceVersion: om.ResourceVersion}, *om, nil
			}
			if !errors.Is(err, store.ErrCorrupt) {
				return store.Raw{}, meta.ObjectMeta{}, err
			}
		}
	}
	obj := &rawObject{}
	if err := m.cfg.Store.Get(ctx, ref, obj); err != nil {
		return store.Raw{}, meta.ObjectMeta{}, err
	}
	return store.Raw{Ref: ref, ResourceVersion: obj.meta.ResourceVersion, Data: obj.data}, obj.meta, nil
}

// collectOwned is collect without the shortcut: it always looks.
func (m *Manager) collectOwned(ctx context.Context, owner meta.Ref) error {
	m.owners.deletedHere(owner)
	res, err := m.cfg.Store.List(ctx, store.ListOptions{Namespace: owner.Namespace, Owner: &owner})
	if err != nil && len(res.Items) == 0 {
		return err
	}
	errs := []error{err}
	for _, raw := range res.Items {
		errs = append(errs, m.collectChild(ctx, raw))
	}
	return errors.Join(errs...)
}

// collectChild collects raw, an object that listed a deleted owner, if
// all its owners are gone.
func (m *Manager) collectChild(ctx context.Context, raw store.Raw) error {
	om, err := rawMeta(raw)
	if err != nil {
		return nil // unreadable: kept, and reported by whoever reads it
	}
	return m.judgeChild(ctx, raw, om)
}

// judgeChild is collectChild of raw, whose metadata is om.
func (m *Manager) judgeChild(ctx context.Context, raw store.Raw, om meta.ObjectMeta) error {
	gone, err := m.ownersGone(ctx, raw.Ref, om.OwnerRefs)
	if err != nil || !gone {
		return err
	}
	again, err := m.collectOrphan(ctx, raw)
	if _, ok := m.reconcilers[raw.Ref.Kind]; ok && again {
		m.queue.Add(raw.Ref) // to finish what it started now
	}
	return err
}

// collectOrphan acts on raw, whose owners are all gone, by its kind's rule.
// It returns whether raw should still be reconciled.
func (m *Manager) collectOrphan(ctx context.Context, raw store.Raw) (bool, error) {
	if m.wiring.orphaned(raw) != reconcile.OrphanCollect {
		return true, nil
	}
	// Only the version judged: a newer one is judged again when its change
	// is observed.
	err := m.cfg.Store.Delete(ctx, raw.Ref, raw.ResourceVersion)
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("certflow: collect %s: %w", raw.Ref, err)
	}
	level := slog.LevelInfo
	if raw.Ref.Kind == meta.KindEvent {
		level = slog.LevelDebug // the expected end of every event: not news
	}
	m.cfg.Logger.Log(ctx, level, "collected an object whose owners are gone", "kind", raw.Ref.Kind,
		"namespace", raw.Ref.Namespace, "name", raw.Ref.Name)
	m.forget(raw.Ref)
	return false, m.collect(ctx, raw.Ref)
}

// ownersGone reports whether child lists owners and none of them exists.
// Owner references name objects without their UID, so an owner deleted and
// created again under its name (a request retried as <cert>-<revision+1>)
// would still look present: an owner whose deletion the Manager saw after
// child was created counts as gone whatever now bears its name. An owner
// that cannot be read (corrupt, Store down) counts as existing. An owner
// the watch has shown present and not deleted since (ownerIndex.
// knownPresent) is not read: the Store would show it too, or a deletion
// the watch delivers next, whose collect then takes child.
func (m *Manager) ownersGone(ctx context.Context, child meta.Ref, owners []meta.Ref) (bool, error) {
	if len(owners) == 0 {
		return false, nil
	}
	for _, o := range owners {
		stands, _, err := m.ownerStands(ctx, child, o, ownerRead{reader: m.cfg.Store, trustIndex: true})
		if err != nil {
			return false, err
		}
		if stands {
			return false, nil
		}
	}
	return true, nil
}

// ownerRead is how ownerStands reads an owner: reader is the Store (or the
// visit's reader of it); trustIndex lets an owner the watch has shown
// present (ownerIndex.knownPresent) stand unread.
type ownerRead struct {
	reader     store.Reader
	trustIndex bool
}

// ownerStands reports whether o, an owner child lists, stands: not if its
// deletion was seen after child was created (ownerIndex.outlived:
// whatever bears its name now is a namesake) or the Store has it not.
// owners are o's own owners when it was read (nil when the index was
// trusted): only its metadata is read (store.GetMetaOf), which is all an
// owner check needs. An owner that cannot be read is an error wrapping
// the Store's (store.ErrCorrupt among them): each caller says what that
// means.
func (m *Manager) ownerStands(ctx context.Context, child, o meta.Ref, r ownerRead) (stands bool, owners []meta.Ref, err error) {
	if m.owners.outlived(child, o) {
		return false, nil, nil
	}
	if r.trustIndex && m.owners.knownPresent(o) {
		return true, nil, nil
	}
	om, err := store.GetMetaOf(ctx, r.reader, o, func() meta.Object { return ownerProbe(o.Kind) })
	switch {
	case err == nil:
		return true, om.OwnerRefs, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil, nil
	}
	return false, nil, fmt.Errorf("certflow: read owner %s: %w", o, err)
}

// ownerProbe is what an owner of kind k is read into to learn whether it
// exists: an object of its own type when the kind is known, which a store
// keeping decoded objects copies instead of encoding and decoding it.
func ownerProbe(k meta.Kind) meta.Object {
	if obj, err := newObject(k); err == nil {
		return obj
	}
	return &rawObject{}
}

// checkOwners runs before ref is reconciled. It returns false when ref was
// collected (or changed meanwhile) instead, because its owners are gone.
func (m *Manager) checkOwners(ctx context.Context, ref meta.Ref) (bool, error) {
	keep, _, err := m.judgeOwners(ctx, ref)
	return keep, err
}

// judgeOwners is checkOwners, also reporting whether ref is kept although
// its owners are gone (orphan): its kind's rule lets it finish what it
// started (a Challenge cleans up) or keeps it for good.
func (m *Manager) judgeOwners(ctx context.Context, ref meta.Ref) (keep, orphan bool, err error) {
	var buf [2]meta.Ref // one owner, as a rule
	owners := m.owners.appendOf(buf[:0], ref)
	if len(owners) == 0 {
		return true, false, nil
	}
	gone, err := m.ownersGone(ctx, ref, owners)
	if err != nil || !gone {
		return true, false, nil // the reconcile meets a Store error itself
	}
	obj := &rawObject{}
	if err := m.cfg.Store.Get(ctx, ref, obj); err != nil {
		return true, false, nil
	}
	if !slices.Equal(obj.meta.OwnerRefs, owners) {
		// The index was behind the object: judge what is stored.
		m.owners.set(ref, obj.meta.OwnerRefs, 0)
		if gone, err = m.ownersGone(ctx, ref, obj.meta.OwnerRefs); err != nil || !gone {
			return true, false, nil
		}
	}
	again, err := m.collectOrphan(ctx, store.Raw{Ref: ref, ResourceVersion: obj.meta.ResourceVersion, Data: obj.data})
	return again, again, err
}

// sweepOwned indexes the owners of every listed object and collects those
// whose owners are all gone. owners[i] are those of items[i], read as it
// was listed (none when its metadata cannot be read: an unreadable object
// is kept, and reported by whoever reads it); rev is the revision of the
// list, and packer unpacks what the list holds packed (nil: nothing is).
// It returns the refs it collected.
func (m *Manager) sweepOwned(ctx context.Context, items []store.Raw, owners [][]meta.Ref, packer *listedPacker, rev uint64) map[meta.Ref]bool {
	listed := newListedRefs(items)
	var orphans []int
	for i := range items {
		if len(owners[i]) > 0 && !slices.ContainsFunc(owners[i], listed.has) {
			orphans = append(orphans, i)
		}
	}
	m.owners.resetListed(listedOwners(items, owners), listedItems(items), rev)
	collected := map[meta.Ref]bool{}
	for _, i := range orphans {
		raw, err := packer.plain(items[i]) // for its rule
		// The list may have left out an owner it could not read: ask for
		// each one before collecting.
		gone := false
		if err == nil {
			gone, err = m.ownersGone(ctx, raw.Ref, owners[i])
		}
		if err == nil && gone {
			var again bool
			again, err = m.collectOrphan(ctx, raw)
			collected[raw.Ref] = !again
		}
		if err != nil {
			ref := items[i].Ref
			m.cfg.Logger.Warn("cannot collect an object whose owners are gone", "kind", ref.Kind,
				"namespace", ref.Namespace, "name", ref.Name, "err", err)
		}
	}
	return collected
}

// rawObject reads an object of any kind: its metadata and its JSON.
type rawObject struct {
	kind meta.Kind
	meta meta.ObjectMeta
	data []byte
}

func (o *rawObject) GetKind() meta.Kind        { return o.kind }
func (o *rawObject) GetMeta() *meta.ObjectMeta { return &o.meta }

func (o *rawObject) UnmarshalJSON(b []byte) error {
	var v struct {
		Metadata meta.ObjectMeta `json:"metadata"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.meta, o.data = v.Metadata, append([]byte(nil), b...)
	return nil
}

// rawMeta decodes the metadata of a listed object.
func rawMeta(raw store.Raw) (meta.ObjectMeta, error) {
	m, err := meta.ObjectMetaOf(raw.Data)
	if err != nil {
		return meta.ObjectMeta{}, fmt.Errorf("%w: %s: %v", store.ErrCorrupt, raw.Ref, err)
	}
	return m, nil
}
