package challenge

import (
	"context"
	"errors"
	"fmt"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// abandonReason says why ch should stop before it is final: its Order was
// deleted or failed, so nobody will use the authorization and whatever was
// presented should go now rather than at a deadline. Empty means carry on.
func (r *Reconciler) abandonReason(ctx context.Context, ch *Challenge) (string, error) {
	for _, ref := range ch.ObjectMeta.OwnerRefs {
		if ref.Kind != meta.KindOrder {
			continue
		}
		state, err := r.opts.OrderState(ctx, r.deps.Store, ref)
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
