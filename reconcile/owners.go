package reconcile

import (
	"context"
	"errors"
	"fmt"

	"github.com/certflow/certflow/meta"
)

// ErrOwnerGone means a step was not taken because an owner of its object,
// or of one of the objects up its chain, is gone from the Store: the step
// would be for nobody (an ACME order, validation or certificate for a
// deleted Certificate). Errors wrapping it are *OwnerGoneError.
var ErrOwnerGone = errors.New("reconcile: owner gone")

// OwnerGoneError names the owner found gone, so whoever drives the
// reconcile can collect what it owned at once rather than when its watch
// reports the deletion.
type OwnerGoneError struct {
	// Owner is the object found gone; Of is the object listing it as owner.
	Owner, Of meta.Ref
}

// Error names the owner and what it owned, leaving out what is not known.
// It carries no package prefix: it is returned wrapped by the step it
// stopped ("reconcile: finalize of Order/ns/x: owner ... is gone").
func (e *OwnerGoneError) Error() string {
	var zero meta.Ref
	switch {
	case e.Owner == zero:
		return "owner gone"
	case e.Of == zero:
		return fmt.Sprintf("owner %s is gone", e.Owner)
	}
	return fmt.Sprintf("owner %s of %s is gone", e.Owner, e.Of)
}

// Is makes an *OwnerGoneError match ErrOwnerGone.
func (e *OwnerGoneError) Is(target error) bool { return target == ErrOwnerGone }

// OwnersCheck reports whether some owner chain of obj stands to the top,
// reading the Store itself (not a cache of it): nil when one does (an
// object with several owners stands while one of them does, and so does
// each owner up the chain), an error wrapping ErrOwnerGone (an
// *OwnerGoneError) when none does, any other error when it could not tell.
// It is best effort, not a guarantee across replicas: the check and the
// step it guards are not atomic, so an owner deleted between the check's
// last Store read and the start of the step's call still gets the step
// (the window is one Store read plus the start of that call).
type OwnersCheck func(ctx context.Context, obj meta.Object) error
