package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/meta"
)

// Errors callers branch on. Implementations wrap them with context (which
// object, which file), so test with errors.Is.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict means the object changed since it was read: reload and retry.
	ErrConflict = errors.New("store: conflict: object was modified")
	// ErrLocked means another owner holds an unexpired lease on the lock.
	ErrLocked = errors.New("store: lock held by another owner")
	// ErrLeaseLost means the lease expired or was taken over; the holder must stop.
	ErrLeaseLost = errors.New("store: lease lost")
	// ErrCompacted means a watch asked to resume from a revision the store no
	// longer remembers: list again and watch from the list's revision.
	ErrCompacted = errors.New("store: revision compacted")
	// ErrCorrupt means a persisted object could not be decoded.
	ErrCorrupt = errors.New("store: corrupt object")
	// ErrInvalid means the object cannot be stored (no name, no kind, …).
	ErrInvalid = errors.New("store: invalid object")
)

// CorruptError is a stored object that cannot be decoded. It matches
// ErrCorrupt (errors.Is), and names the object, so a caller reading many
// objects (List) can say which one is unreadable and go on with the rest.
type CorruptError struct {
	Ref meta.Ref
	// Where names the stored copy (a file store's file); may be empty.
	Where string
	Err   error
}

func (e *CorruptError) Error() string {
	where := ""
	if e.Where != "" {
		where = " (" + e.Where + ")"
	}
	return fmt.Sprintf("%v: %s%s: %v", ErrCorrupt, e.Ref, where, e.Err)
}

// Is makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

func (e *CorruptError) Unwrap() error { return e.Err }

// Store is the whole contract a Manager needs.
type Store interface {
	Reader
	Writer
	Watcher
	Locker
}

// Reader reads objects.
type Reader interface {
	// Get decodes the object named ref into into, or returns ErrNotFound.
	Get(ctx context.Context, ref meta.Ref, into meta.Object) error
	// List returns the objects matching opts, sorted by CompareRefs, and
	// the store revision they were read at (a Watch from it misses nothing).
	List(ctx context.Context, opts ListOptions) (ListResult, error)
}

// Writer changes objects. Create and Update set obj's UID, ResourceVersion and
// CreationTime as stored. A ResourceVersion is never given to a name twice,
// across a Delete and a Create again too: the Manager takes an equal
// version for the same state (the check before a step, WaitReady skipping
// a wake for the version it read). Like io.Writer with its buffer, a
// Writer must not keep obj, or anything obj points to, after the call
// returns: callers reuse it (the Event writer refills the objects of its
// last flush).
type Writer interface {
	// Create stores a new object or returns ErrAlreadyExists.
	Create(ctx context.Context, obj meta.Object) error
	// Update replaces the object if obj's ResourceVersion is the stored one,
	// else returns ErrConflict; ErrNotFound if it does not exist.
	Update(ctx context.Context, obj meta.Object) error
	// Delete removes the object. A non-empty resourceVersion makes it
	// conditional (ErrConflict if it changed). Deleting a missing object
	// returns ErrNotFound.
	Delete(ctx context.Context, ref meta.Ref, resourceVersion string) error
}

// Watcher streams changes.
type Watcher interface {
	// Watch sends every change with a revision greater than fromRevision, in
	// revision order, until ctx is done; then it closes the channel.
	//
	// A consumer that is merely slow loses nothing: the store holds what it
	// has still to read (in its retained history, or by not reading ahead
	// of it) and delivers it in order when the consumer gets to it, without
	// ever making writers wait for that consumer. Only a consumer that falls
	// behind what the store retains (its history was compacted past the
	// consumer's position), or a fromRevision already forgotten, gets a last
	// event with Err wrapping ErrCompacted, after every change before the
	// gap, and the channel is closed: list again and resume from the list's
	// revision. A fromRevision already forgotten may instead make Watch
	// return ErrCompacted. How much a store retains is its own (a history
	// length, etcd's compaction), but it must not drop a reader that is
	// behind by less than that.
	Watch(ctx context.Context, fromRevision uint64) (<-chan WatchEvent, error)
}

// Locker hands out named leases. A lease expires unless renewed, so a holder
// that dies frees the lock; only the owner token can renew or release it.
type Locker interface {
	// Acquire takes the lock for owner for ttl, or returns ErrLocked while
	// another owner's lease is unexpired. Acquiring a lock one already holds
	// renews it.
	Acquire(ctx context.Context, name, owner string, ttl time.Duration) (Lease, error)
	// Renew extends a held lease by its TTL, or returns ErrLeaseLost.
	Renew(ctx context.Context, lease Lease) (Lease, error)
	// Release frees a held lease, or returns ErrLeaseLost if it is not held.
	Release(ctx context.Context, lease Lease) error
}

// Lease is a held lock.
type Lease struct {
	Name    string
	Owner   string
	TTL     time.Duration
	Expires time.Time
}

// ListOptions selects objects. Zero fields match everything.
type ListOptions struct {
	Kind meta.Kind
	// Namespace restricts the list to one namespace; empty means all.
	Namespace string
	// Labels must all be present with equal values.
	Labels map[string]string
	// Owner keeps only objects that list Owner among their OwnerRefs.
	Owner *meta.Ref
}

// Matches reports whether an object with this reference and metadata is selected.
func (o ListOptions) Matches(ref meta.Ref, m *meta.ObjectMeta) bool {
	if o.Kind != "" && ref.Kind != o.Kind {
		return false
	}
	if o.Namespace != "" && ref.Namespace != o.Namespace {
		return false
	}
	for k, v := range o.Labels {
		if got, ok := m.Labels[k]; !ok || got != v {
			return false
		}
	}
	if o.Owner != nil && !m.IsOwnedBy(*o.Owner) {
		return false
	}
	return true
}

// MetadataRead reports which metadata beyond an object's reference
// Matches reads: a List may decode only names, namespaces and versions
// of objects when both are false.
func (o ListOptions) MetadataRead() (labels, owners bool) {
	return len(o.Labels) > 0, o.Owner != nil
}

// ListResult is the answer of List.
type ListResult struct {
	Items    []Raw
	Revision uint64
}

// Raw is one stored object, still encoded.
type Raw struct {
	Ref             meta.Ref
	ResourceVersion string
	Data            []byte
}

// Decode unmarshals the object into into.
func (r Raw) Decode(into meta.Object) error {
	if err := json.Unmarshal(r.Data, into); err != nil {
		return &CorruptError{Ref: r.Ref, Err: err}
	}
	return nil
}

// EventType says what happened to an object.
type EventType string

// Watch event types.
const (
	Added    EventType = "Added"
	Modified EventType = "Modified"
	Deleted  EventType = "Deleted"
)

// WatchEvent is one change. Err is set only on the last event of a watch that
// ended early (see Watcher).
type WatchEvent struct {
	Type     EventType
	Ref      meta.Ref
	Revision uint64
	// Meta is the object's metadata after the change (before it, for Deleted),
	// so consumers can map an event to owners without reading the object.
	Meta meta.ObjectMeta
	Err  error
}

// ListOf lists objects of one Go type, decoding each (without encoding
// them first when r is an ObjectLister). PT is the pointer type that
// implements meta.Object.
func ListOf[T any, PT interface {
	*T
	meta.Object
}](ctx context.Context, r Reader, opts ListOptions) ([]PT, error) {
	objs, err := ListObjectsOf(ctx, r, opts, func() meta.Object { return PT(new(T)) })
	if err != nil {
		return nil, err
	}
	out := make([]PT, len(objs))
	for i, obj := range objs {
		out[i] = obj.(PT)
	}
	return out, nil
}
