package certflow

import (
	"context"
	"slices"
	"sync"

	"github.com/certflow/certflow/internal/events"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// ownWrites remembers the children a reconcile creates or deletes, each
// with the version it writes or removes and the object being reconciled,
// so that the watch event of that very change does not wake that object:
// its decision made the change, and a decision that needs another look
// after creating or deleting a child says so itself (Plan.Next). Without
// it, a Certificate creating its key and request, an Order creating or
// deleting its Challenges, a request creating its Order each visited the
// owner once more to decide again to wait.
//
// Only the exact change is spared: the event must be of the same kind
// (Added for a create, Deleted for a delete), of the same object at the
// same version, and only that owner is spared; any other change of the
// child, another owner, another writer's namesake, and every change seen
// by another replica wake as before. The write is recorded before it is
// made, since the watch may deliver its event before the write returns: an
// event taken while a create is under way is spared provisionally, and
// when the write ends with another version or fails, the owner is woken
// then (end). An entry is dropped by the next event of its child whatever
// it is.
type ownWrites struct {
	mu sync.Mutex
	m  map[meta.Ref]ownWrite
}

// ownWrite is one change a reconcile of owner makes to a child.
type ownWrite struct {
	typ   store.EventType
	owner meta.Ref
	// version is the version written (known once a create returned) or
	// removed.
	version string
	// writing is set until the write returned; seen is the version of the
	// event spared meanwhile.
	writing bool
	seen    string
}

// ownWritesLimit bounds the entries kept: past it they are all dropped,
// which only costs a visit per late event. Entries whose event never comes
// (a watch cut before it, a delete someone else had already made) would
// otherwise stay.
const ownWritesLimit = 4096

// begin records that a reconcile of c.owner is about to write child.
func (w *ownWrites) begin(child meta.Ref, c ownWrite) {
	c.writing, c.seen = true, ""
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil || len(w.m) >= ownWritesLimit {
		w.m = map[meta.Ref]ownWrite{}
	}
	w.m[child] = c
}

// end records that the write of child begun before ended with version
// (for a create) and err. It returns an owner to wake when an event was
// spared for a write that turned out not to be the one it announced.
func (w *ownWrites) end(child meta.Ref, version string, err error) (meta.Ref, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.m[child]
	if !ok || !c.writing {
		return meta.Ref{}, false
	}
	if c.typ == store.Added && err == nil {
		c.version = version
	}
	if c.seen != "" {
		delete(w.m, child)
		return c.owner, err != nil || c.seen != c.version
	}
	if err != nil {
		delete(w.m, child)
		return meta.Ref{}, false
	}
	c.writing = false
	w.m[child] = c
	return meta.Ref{}, false
}

// take returns the owner whose reconcile made the change ev, and drops
// what was recorded about ev's object (but for a write under way whose
// event this is: end settles it).
func (w *ownWrites) take(ev store.WatchEvent) (meta.Ref, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.m[ev.Ref]
	if !ok {
		return meta.Ref{}, false
	}
	v := ev.Meta.ResourceVersion
	match := c.typ == ev.Type && v != "" && (c.version == v || (c.writing && c.version == ""))
	if match && c.writing && c.seen == "" {
		c.seen = v
		w.m[ev.Ref] = c
		return c.owner, true
	}
	delete(w.m, ev.Ref)
	return c.owner, match && !c.writing
}

// reset forgets everything: after a re-list no event of what was recorded
// is on its way.
func (w *ownWrites) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.m = nil
}

// reconcilingKey is the context key of the object a reconcile is for.
type reconcilingKey struct{}

// reconciling returns ctx carrying ref as the object being reconciled.
// One allocation per visit: context.WithValue boxed the Ref besides its
// own node, and the lookup answers a pointer into the node, which boxes
// nothing.
func reconciling(ctx context.Context, ref meta.Ref) context.Context {
	return &reconcilingCtx{Context: ctx, ref: ref}
}

// reconcilingCtx is ctx with the object being reconciled, as
// context.WithValue would make it: every other key is the parent's.
type reconcilingCtx struct {
	context.Context
	ref meta.Ref
}

func (c *reconcilingCtx) Value(key any) any {
	if key == (reconcilingKey{}) {
		return &c.ref
	}
	return c.Context.Value(key)
}

// reconciledBy returns the object being reconciled according to ctx.
func reconciledBy(ctx context.Context) (meta.Ref, bool) {
	if ref, ok := ctx.Value(reconcilingKey{}).(*meta.Ref); ok {
		return *ref, true
	}
	return meta.Ref{}, false
}

// ownWritesStore is the Store reconcilers write through: a child owned by
// the object being reconciled (as ctx says) that it creates, or deletes at
// a known version, is recorded in own; wake is called for an owner whose
// event was spared for a write that did not happen as announced.
type ownWritesStore struct {
	store.Store
	own  *ownWrites
	wake func(meta.Ref)
	// updating, if set, is told of every update and creation before it
	// is made, and updated how it ended (writtenViews): a pair of calls
	// rather than a func returned, which allocated a closure per write.
	updating func(context.Context, meta.Object) viewWrite
	ended    func(context.Context, meta.Object, viewWrite, error)
	// created, if set, is told of every object created (queueWritten).
	created func(meta.Object)
	// updated, if set, is told of every object updated, as stored.
	updated func(meta.Object)
	// events, if set, drops the events of an object deleted here that
	// were recorded before the Delete and still wait (Writer.Gone).
	events *events.Writer
}

// Unwrap returns the Store written through, for callers looking for
// optional interfaces.
func (s *ownWritesStore) Unwrap() store.Store { return s.Store }

func (s *ownWritesStore) Update(ctx context.Context, obj meta.Object) error {
	var w viewWrite
	if s.updating != nil {
		w = s.updating(ctx, obj)
	}
	err := s.Store.Update(ctx, obj)
	if s.ended != nil {
		s.ended(ctx, obj, w, err)
	}
	if err == nil && s.updated != nil {
		s.updated(obj)
	}
	return err
}

// Create creates obj; a creation, like an update, keeps the owner view
// of what it writes (updating), so the Added event needs no read either.
func (s *ownWritesStore) Create(ctx context.Context, obj meta.Object) error {
	var w viewWrite
	if s.updating != nil {
		w = s.updating(ctx, obj)
	}
	err := s.create(ctx, obj)
	if s.ended != nil {
		s.ended(ctx, obj, w, err)
	}
	if err == nil && s.created != nil {
		s.created(obj)
	}
	return err
}

func (s *ownWritesStore) create(ctx context.Context, obj meta.Object) error {
	owner, ok := reconciledBy(ctx)
	if !ok || !slices.Contains(obj.GetMeta().OwnerRefs, owner) {
		return s.Store.Create(ctx, obj)
	}
	ref := meta.RefOf(obj)
	s.own.begin(ref, ownWrite{typ: store.Added, owner: owner})
	err := s.Store.Create(ctx, obj)
	if o, wake := s.own.end(ref, obj.GetMeta().ResourceVersion, err); wake {
		s.wake(o)
	}
	return err
}

func (s *ownWritesStore) Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	if s.events == nil {
		return s.delete(ctx, ref, resourceVersion)
	}
	// Marked before: an event recorded since may be about a namesake
	// made after this Delete.
	before := s.events.Mark()
	err := s.delete(ctx, ref, resourceVersion)
	if err == nil {
		s.events.Gone(ref, before)
	}
	return err
}

func (s *ownWritesStore) delete(ctx context.Context, ref meta.Ref, resourceVersion string) error {
	// Only a delete of a version decided on: the Deleted event carries
	// that version, and the child's owners, which must include this one
	// for the event to spare it.
	owner, ok := reconciledBy(ctx)
	if !ok || resourceVersion == "" {
		return s.Store.Delete(ctx, ref, resourceVersion)
	}
	s.own.begin(ref, ownWrite{typ: store.Deleted, owner: owner, version: resourceVersion})
	err := s.Store.Delete(ctx, ref, resourceVersion)
	if o, wake := s.own.end(ref, "", err); wake {
		s.wake(o)
	}
	return err
}
