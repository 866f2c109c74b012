package store

import "context"

// Scanner is a Reader that can hand over what List returns one object at
// a time, without holding every object at once: a Manager starting on a
// store of 100,000 certificates lists some 800,000 objects, 1.1 GB of
// JSON, and keeps the bytes of few of them past the list.
//
// Scan calls fn with each object List(ctx, opts) would return, in List's
// order (CompareRefs) and one call at a time, never two at once (the
// metrics wrapper adds up fn's time without a lock, to leave it out of
// the Store's), all read at one store revision, which it returns:
// a Watch from it misses nothing, as from List's. It must not hold the
// objects already handed over; fn may keep a Raw (its Data is the
// caller's, as List's items are). Objects that cannot be decoded are
// left out and reported as List reports them: Scan still hands over every
// good object and returns the revision with an error joining one
// *CorruptError (or the store's own error for an unsafe entry) per bad
// object. A failure that stops the scan (the store is unreachable, ctx
// ends) returns revision 0 with its error, and the objects handed over
// so far are not a complete list. fn's error stops the scan and is
// returned as is, with revision 0.
//
// fn runs while the store holds the revision steady (a file store's
// shared lock, which every write waits for): it must never call back into
// the Store, not even to read, and should return quickly. On the file
// store a write from fn deadlocks at once (it waits for the lock its own
// scan holds), and so does a read once another goroutine's write waits
// for the lock (sync.RWMutex lets no new reader in then). Keep what fn
// needs and call the Store after Scan returns.
// A wrapper of a Store implements Scan by calling ScanOf on what it
// wraps, with the same bookkeeping its List does.
type Scanner interface {
	Scan(ctx context.Context, opts ListOptions, fn func(Raw) error) (revision uint64, err error)
}

// ScanOf scans through r's Scan when r is a Scanner, and else hands over
// the items of one List: a wrapper that intercepts List (and does not
// implement Scan) sees the whole list as it always did. Its results are
// Scan's.
func ScanOf(ctx context.Context, r Reader, opts ListOptions, fn func(Raw) error) (uint64, error) {
	if s, ok := r.(Scanner); ok {
		return s.Scan(ctx, opts, fn)
	}
	res, err := r.List(ctx, opts)
	if res.Revision == 0 && err != nil {
		return 0, err
	}
	for _, raw := range res.Items {
		if ferr := fn(raw); ferr != nil {
			return 0, ferr
		}
	}
	return res.Revision, err
}
