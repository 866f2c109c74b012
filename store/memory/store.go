package memory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// Defaults for the options.
const (
	DefaultHistory     = 10000
	DefaultWatchBuffer = 100000
)

// Option configures New.
type Option func(*options)

type options struct {
	clock       clock.Clock
	history     int
	watchBuffer int
}

// WithClock sets the clock that stamps CreationTime and expires leases. If c
// is nil (or the option is absent) clock.Real is used.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithHistory sets how many recent changes Watch can always replay (more are
// kept while a live watcher has still to read them). If n <= 0 (or the
// option is absent) DefaultHistory is used.
func WithHistory(n int) Option { return func(o *options) { o.history = n } }

// WithWatchBuffer sets how many changes a live watcher may fall behind the
// store before it is cut off with store.ErrCompacted: the history keeps the
// changes a watcher has still to read up to that many (beyond WithHistory's),
// so a slow reader loses nothing and no writer ever waits for it. A change
// held for a lagging watcher costs 24 bytes, and keeps the version it left
// alive once replaced or deleted (its entry and slab, ~0.5 KB for an
// issuance's objects), so the default bounds a stuck watcher to about 50
// MB. If n <= 0
// (or the option is absent) DefaultWatchBuffer is used; values below the
// history's size mean the history's size.
func WithWatchBuffer(n int) Option { return func(o *options) { o.watchBuffer = n } }

// Store keeps objects in memory. The zero value is not usable; call New. It
// is safe for concurrent use and runs no goroutines, except one per Watch
// that ends with the watch's context.
type Store struct {
	clock clock.Clock

	mu       sync.RWMutex
	rev      uint64
	objects  map[meta.Kind]*entryTable
	ids      *objectIDs
	index    objectIndex
	hist     history
	watchers map[*watcher]struct{}

	repeats *repeats

	leaseMu sync.Mutex
	leases  map[string]store.Lease
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New(opts ...Option) *Store {
	o := options{clock: clock.Real{}, history: DefaultHistory, watchBuffer: DefaultWatchBuffer}
	for _, opt := range opts {
		opt(&o)
	}
	if o.clock == nil {
		o.clock = clock.Real{}
	}
	if o.history <= 0 {
		o.history = DefaultHistory
	}
	if o.watchBuffer <= 0 {
		o.watchBuffer = DefaultWatchBuffer
	}
	s := &Store{
		ids:      &objectIDs{},
		clock:    o.clock,
		objects:  map[meta.Kind]*entryTable{},
		index:    newObjectIndex(),
		hist:     newHistory(o.history, o.watchBuffer),
		watchers: map[*watcher]struct{}{},
		leases:   map[string]store.Lease{},
		repeats:  newRepeats(),
	}
	// The table of canonical copies counts the entries the Store holds,
	// and only a deletion uncounts one: a Store let go with objects in it
	// would keep their copies in the table for ever (unique's weak
	// pointers let them go). The ids are their own allocation so the
	// cleanup does not keep the Store reachable.
	runtime.AddCleanup(s, (*objectIDs).releaseAll, s.ids)
	return s
}

// Revision returns the store's current revision: that of its latest change.
func (s *Store) Revision() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rev
}

// Get decodes the object named ref into into (zeroed first).
func (s *Store) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory: get %s: %w", ref, err)
	}
	if err := objects.ValidateRef(ref); err != nil {
		return fmt.Errorf("memory: get: %w", err)
	}
	s.mu.RLock()
	e := s.objects[ref.Kind].get(ref)
	s.mu.RUnlock()
	if e == nil {
		return &notFound{op: "get", ref: ref}
	}
	if err := e.decodeInto(into); err != nil {
		return fmt.Errorf("memory: get %s: %w", ref, err)
	}
	return nil
}

// List returns the matching objects sorted by namespace, name and kind, each
// with its own encoding.
func (s *Store) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if err := ctx.Err(); err != nil {
		return store.ListResult{}, fmt.Errorf("memory: list: %w", err)
	}
	found, rev := s.matching(opts)
	// Entries are immutable: encoding them needs no lock.
	items := make([]store.Raw, 0, len(found))
	var errs []error
	for _, e := range found {
		data, err := e.encoded()
		if err != nil {
			errs = append(errs, &store.CorruptError{Ref: e.ref(), Err: err})
			continue
		}
		if e.isJSON() {
			data = slices.Clone(data)
		}
		items = append(items, store.Raw{Ref: e.ref(), ResourceVersion: e.resourceVersion(), Data: data})
	}
	return store.ListResult{Items: items, Revision: rev}, errors.Join(errs...)
}

// matching returns the entries opts selects, sorted as List returns them,
// and the revision they were read at.
func (s *Store) matching(opts store.ListOptions) ([]*entry, uint64) {
	var found []*entry
	matches := func(e *entry) bool {
		if len(opts.Labels) == 0 && opts.Owner == nil {
			return opts.Matches(e.viewRef(), &meta.ObjectMeta{})
		}
		m := e.view()
		return opts.Matches(e.viewRef(), &m)
	}
	s.mu.RLock()
	rev := s.rev
	collect := func(t *entryTable) {
		for e := range t.all() {
			if matches(e) {
				found = append(found, e)
			}
		}
	}
	if ids, ok := s.narrowestLocked(opts); ok {
		for id := range ids.ids() {
			if e := s.ids.entry(id); matches(e) {
				found = append(found, e)
			}
		}
	} else if opts.Kind != "" {
		collect(s.objects[opts.Kind])
	} else {
		for _, t := range s.objects {
			collect(t)
		}
	}
	s.mu.RUnlock()

	slices.SortFunc(found, func(a, b *entry) int { return store.CompareRefs(a.viewRef(), b.viewRef()) })
	return found, rev
}

// narrowestLocked returns the smallest indexed set holding every object
// opts selects (the owner's, or those of a kind carrying the rarest
// label), or ok false when no index applies and every object of the kind
// must be looked at. The caller still applies opts to each.
func (s *Store) narrowestLocked(opts store.ListOptions) (ids filed, ok bool) {
	if opts.Kind != "" {
		ids, ok = s.index.narrowest(opts.Kind, opts.Labels)
	}
	if opts.Owner != nil {
		if owned := s.index.owned(*opts.Owner); !ok || owned.len() < ids.len() {
			ids, ok = owned, true
		}
	}
	return ids, ok
}
