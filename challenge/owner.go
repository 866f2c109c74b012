package challenge

import (
	"context"
	"errors"
	"fmt"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// ownerOrder reads just the state of the Order owning a Challenge; the
// challenge package cannot import order (order imports challenge), and
// status.state is part of the Order's stable JSON form.
type ownerOrder struct {
	ObjectMeta meta.ObjectMeta `json:"metadata"`
	Status     struct {
		State State `json:"state,omitempty"`
	} `json:"status"`
}

func (o *ownerOrder) GetKind() meta.Kind        { return meta.KindOrder }
func (o *ownerOrder) GetMeta() *meta.ObjectMeta { return &o.ObjectMeta }

// abandonReason says why ch should stop before it is final: its Order was
// deleted or failed, so nobody will use the authorization and whatever was
// presented should go now rather than at a deadline. Empty means carry on.
func (r *Reconciler) abandonReason(ctx context.Context, ch *Challenge) (string, error) {
	for _, ref := range ch.ObjectMeta.OwnerRefs {
		if ref.Kind != meta.KindOrder {
			continue
		}
		state, err := r.orderState(ctx, ref)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Sprintf("order %s was deleted", ref.Name), nil
		case err != nil:
			return "", fmt.Errorf("challenge: get owner %s: %w", ref, err)
		case state.IsFinal() && state != StateValid:
			return fmt.Sprintf("order %s is %s", ref.Name, state), nil
		}
	}
	return "", nil
}

// orderState reads the state of the Order named ref (Options.OrderState).
func (r *Reconciler) orderState(ctx context.Context, ref meta.Ref) (State, error) {
	if r.opts.OrderState != nil {
		return r.opts.OrderState(ctx, r.deps.Store, ref)
	}
	o := &ownerOrder{}
	if err := r.deps.Store.Get(ctx, ref, o); err != nil {
		return "", err
	}
	return o.Status.State, nil
}
