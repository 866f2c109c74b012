package certflow

import (
	"context"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// readOrderState reads the state of the Order owning a Challenge into
// order.Order, the type the Store holds it as (challenge.Options.OrderState),
// so a store keeping decoded objects copies it instead of encoding it to
// JSON and decoding that again.
func readOrderState(ctx context.Context, r store.Reader, ref meta.Ref) (challenge.State, error) {
	o := &order.Order{}
	if err := r.Get(ctx, ref, o); err != nil {
		return "", err
	}
	return challenge.State(o.Status.State), nil
}
