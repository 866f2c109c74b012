package order

import (
	"context"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// OwnerState reads the state of the Order named ref, the owner of a
// Challenge, for challenge.Options.OrderState: the challenge package
// cannot import this one (the chain runs the other way), so the Order's
// state is read here, into Order, the type the Store holds it as, which a
// store keeping decoded objects copies instead of encoding it to JSON and
// decoding that again. A gone Order is an error wrapping store.ErrNotFound.
func OwnerState(ctx context.Context, r store.Reader, ref meta.Ref) (challenge.State, error) {
	o := &Order{}
	if err := r.Get(ctx, ref, o); err != nil {
		return "", err
	}
	return o.Status.State, nil
}
