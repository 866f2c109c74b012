package store

import "context"

type freshReadKey struct{}

// WithFreshRead returns ctx marking the reads made through it as ones the
// Store itself must answer, not a cache in front of it: a check that an
// object is still the stored version before acting on it (reconcile's
// compare before creating children or after taking a claim) means nothing
// when answered from the copy it was decided on.
func WithFreshRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshReadKey{}, true)
}

// FreshRead reports whether reads through ctx must be answered by the
// Store, not a cache (WithFreshRead). A wrapper that answers reads from
// anything but the Store it wraps MUST pass such a read to that Store.
func FreshRead(ctx context.Context) bool {
	fresh, _ := ctx.Value(freshReadKey{}).(bool)
	return fresh
}
