package certflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// ErrNeverReady is returned by WaitReady for a Certificate that cannot
// become Ready until its spec changes (it failed validation).
var ErrNeverReady = errors.New("certflow: certificate cannot become ready")

// WaitReady blocks until the Certificate named ref is Ready for its current
// spec (its Secret holds a valid certificate issued for this generation), or
// ctx is done. It is woken by the running Manager's watch of the Store, so
// it sees changes made by any process sharing the Store; without Run it
// waits for ctx.
func (m *Manager) WaitReady(ctx context.Context, ref meta.Ref) error {
	changed, stop := m.changes.subscribe(ref)
	defer stop()
	for {
		c := &certificate.Certificate{}
		err := m.cfg.Store.Get(ctx, ref, c)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil {
			ready := c.Status.Conditions.Get(meta.ConditionReady)
			switch {
			case ready != nil && ready.Status == meta.ConditionTrue && ready.ObservedGeneration == c.ObjectMeta.Generation:
				return nil
			case ready != nil && ready.Reason == certificate.ReasonInvalid && ready.ObservedGeneration == c.ObjectMeta.Generation:
				return fmt.Errorf("%w: %s", ErrNeverReady, ready.Message)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}
