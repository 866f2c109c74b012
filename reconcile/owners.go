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

func (e *OwnerGoneError) Error() string {
	return fmt.Sprintf("reconcile: %s, owner of %s, is gone", e.Owner, e.Of)
}

// Is makes an *OwnerGoneError match ErrOwnerGone.
func (e *OwnerGoneError) Is(target error) bool { return target == ErrOwnerGone }

// OwnersCheck reports whether obj's owners, and theirs up to the top of the
// chain, all still stand, reading the Store itself (not a cache of it): nil
// when they do, an error wrapping ErrOwnerGone (an *OwnerGoneError) when
// one is gone, any other error when it could not tell. An object with
// several owners stands while one of them does.
type OwnersCheck func(ctx context.Context, obj meta.Object) error
