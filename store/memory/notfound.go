package memory

import (
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// notFound is the error of a Get or GetMeta of an object the store does
// not hold. Reconcilers ask for objects that do not exist yet on every
// issuance (errors.Is(err, store.ErrNotFound) is all they look at), and
// fmt.Errorf formatted the reference and the message each time: ~10% of
// Get's CPU at 200:8. The message is made only when asked for, and is
// the one fmt.Errorf made.
type notFound struct {
	op  string // "get"
	ref meta.Ref
}

func (e *notFound) Error() string {
	return "memory: " + e.op + " " + e.ref.String() + ": " + store.ErrNotFound.Error()
}

func (e *notFound) Unwrap() error { return store.ErrNotFound }
