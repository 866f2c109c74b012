package challenge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// finish cleans up a final challenge once.
func (r *Reconciler) finish(ctx context.Context, ch *Challenge) (time.Time, error) {
	if ch.Status.CleanedUp {
		return time.Time{}, nil
	}
	if ch.Status.Processing || ch.Status.Presented {
		s, err := r.solverFor(ctx, ch)
		if err != nil {
			r.event(ch, meta.EventWarning, ReasonCleanUpError, err.Error())
			return time.Time{}, err
		}
		cctx, cancel := context.WithTimeout(ctx, r.opts.CleanUpTimeout)
		defer cancel()
		next, err := r.withRecordLock(cctx, ch, func(ctx context.Context) error {
			return s.CleanUp(ctx, ch.Info())
		})
		if err != nil {
			err = fmt.Errorf("challenge: clean up %s: %w", ch.ObjectMeta.Name, err)
			r.event(ch, meta.EventWarning, ReasonCleanUpError, err.Error())
			return time.Time{}, err
		}
		if !next.IsZero() {
			return next, nil
		}
		r.event(ch, meta.EventNormal, ReasonCleanedUp, fmt.Sprintf("cleaned up %s challenge for %s", ch.Spec.Type, ch.Spec.DNSName))
	}
	ch.Status.CleanedUp = true
	ch.Status.Presented = false
	ch.Status.Processing = false
	if err := r.update(ctx, ch); err != nil {
		return time.Time{}, err
	}
	return time.Time{}, nil
}

// withRecordLock runs fn; for DNS-01 it holds the Store lock
// "dns01:<record name>" around it so that challenges sharing a TXT name (an
// apex and its wildcard, on any replica) never interleave their updates. A
// lock held by another owner returns the time to try again.
func (r *Reconciler) withRecordLock(ctx context.Context, ch *Challenge, fn func(context.Context) error) (time.Time, error) {
	if ch.Spec.Type != solver.DNS01 {
		return time.Time{}, fn(ctx)
	}
	name := "dns01:" + ch.Info().RecordName()
	owner := r.opts.LockOwner + "/" + ch.ObjectMeta.Namespace + "/" + ch.ObjectMeta.Name
	lease, err := r.deps.Store.Acquire(ctx, name, owner, r.opts.LockTTL)
	if errors.Is(err, store.ErrLocked) {
		return r.deps.Clock.Now().Add(r.opts.LockRetry), nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("lock %s: %w", name, err)
	}
	defer func() {
		// Release even if ctx ended; the TTL frees it otherwise.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = r.deps.Store.Release(rctx, lease)
	}()
	return time.Time{}, fn(ctx)
}
