package reconcile

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// releaseTimeout bounds giving a claim back after the work it guarded ended,
// even when the reconcile's own context is already done.
const releaseTimeout = 5 * time.Second

// recordTimeout bounds storing an effect's outcome. The write does not end
// with the effect's context: an outcome the outside world has seen (an ACME
// order opened, a finalize sent) is never dropped because the step used up
// its time or the reconcile was cancelled right after the call.
const recordTimeout = 5 * time.Second

// RecordContext is the context to store an answer of the outside world
// in: it outlives ctx's cancellation (a shutdown right after the call) for
// up to recordTimeout, so the answer is not asked for again.
func RecordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

// ClaimTTL is the shortest Claim.TTL under which an effect whose calls take
// up to work finishes them: Do gets 3/4 of the TTL, and the last quarter is
// left for storing the outcome before the claim can pass to another owner.
func ClaimTTL(work time.Duration) time.Duration {
	return max(work*4/3, 4*recordTimeout)
}

// Execute carries out p: it writes the object (compare-and-swap), creates
// and deletes children, records events, then performs the effect under its
// claim and stores the outcome. It returns when to look at the object again.
// A store.ErrConflict means the snapshot was stale: reload and decide again.
// A reconciler that decides again on what p wrote uses ExecuteOutcome,
// which also says which children were stored already, and whether the
// effect deferred its outcome (Defer) to the Object's next write.
func Execute(ctx context.Context, d Deps, p Plan) (time.Time, error) {
	out, err := ExecuteOutcome(ctx, d, p)
	return out.Next, err
}

// ExecuteOutcome is Execute, returning the Outcome.
func ExecuteOutcome(ctx context.Context, d Deps, p Plan) (Outcome, error) {
	var out Outcome
	ref := meta.RefOf(p.Object)
	if p.Write {
		if err := d.Store.Update(ctx, p.Object); err != nil {
			return out, fmt.Errorf("reconcile: update %s: %w", ref, err)
		}
	} else if len(p.Create) > 0 || (len(p.Delete) > 0 && !finalDeletions(p)) {
		// Deletions and creations stand on the object as decided even when
		// it is not written: a snapshot is read object first, children
		// after, so a replica that moved the object on meanwhile (and then
		// removed a child, as a finished issuance removes its next key and
		// a valid Order its Challenges) shows here as a conflict instead of
		// as a child that seems never to have existed, to be deleted again
		// or created a second time.
		if err := fresh(ctx, d, p.Object); err != nil {
			return out, err
		}
	}
	for _, child := range p.Create {
		err := d.Store.Create(ctx, child)
		switch {
		case errors.Is(err, store.ErrAlreadyExists):
			out.Existed = append(out.Existed, meta.RefOf(child))
		case err != nil:
			return out, fmt.Errorf("reconcile: create %s: %w", meta.RefOf(child), err)
		}
	}
	for _, del := range p.Delete {
		err := d.Store.Delete(ctx, del.Ref, del.ResourceVersion)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return out, fmt.Errorf("reconcile: delete %s: %w", del.Ref, err)
		}
	}
	for _, e := range p.Events {
		meta.RecordEvent(d.Events, p.Object, e.Type, e.Reason, e.Message)
	}
	if p.Effect == nil {
		out.Next = p.Next
		return out, nil
	}
	var err error
	out.Next, out.Deferred, err = perform(ctx, d, p.Object, p.Effect)
	return out, err
}

// perform runs one effect under its claim and writes the outcome it
// recorded into obj, unless the effect deferred it (Defer).
func perform(ctx context.Context, d Deps, obj meta.Object, e *Effect) (next time.Time, deferred bool, err error) {
	if e.Claim != nil {
		lease, err := d.Store.Acquire(ctx, e.Claim.Name, d.Owner, e.Claim.TTL)
		if errors.Is(err, store.ErrLocked) {
			return d.Clock.Now().Add(e.Claim.Busy), false, nil
		}
		if err != nil {
			return time.Time{}, false, fmt.Errorf("reconcile: claim %s: %w", e.Claim.Name, err)
		}
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
			defer cancel()
			_ = d.Store.Release(rctx, lease)
		}()
		// The claim must outlive the step, or another owner could take it
		// while this one is still talking to the CA.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.Claim.TTL*3/4)
		defer cancel()
		// A claim can also be lost before it expires (a Store cut off from
		// its etcd): the step stops then, before another owner takes it.
		if w, ok := store.AsLeaseWatcher(d.Store); ok {
			var stop func()
			ctx, stop = untilLost(ctx, w.Lost(lease), e.Claim.Name)
			defer stop()
		}
		// The object may have moved on while the claim was held elsewhere:
		// the write below fails with a conflict before anything is done
		// twice, because Do only runs on the snapshot this plan was made on.
		// A Do that writes it first fails so itself (WritesFirst).
		if !e.WritesFirst {
			if err := fresh(ctx, d, obj); err != nil {
				return time.Time{}, false, lostOr(ctx, err)
			}
		}
	}
	if e.ForOwners && d.Owners != nil {
		// Decided here, under the claim, on the Store as it is now: the
		// owners the Manager's watch showed present may be gone already.
		if err := d.Owners(ctx, obj); err != nil {
			return time.Time{}, false, fmt.Errorf("reconcile: %s of %s: %w", e.Name, meta.RefOf(obj), lostOr(ctx, err))
		}
	}
	if err := e.Do(ctx); err != nil {
		err = lostOr(ctx, err)
		if def, ok := errors.AsType[*deferral](err); ok {
			if def.next.IsZero() {
				return d.Clock.Now(), true, nil
			}
			return def.next, true, nil
		}
		return time.Time{}, false, fmt.Errorf("reconcile: %s: %w", e.Name, err)
	}
	// Recorded while the claim is still held (it is released after this).
	wctx, cancel := RecordContext(ctx)
	defer cancel()
	if err := d.Store.Update(wctx, obj); err != nil {
		return time.Time{}, false, fmt.Errorf("reconcile: record %s of %s: %w", e.Name, meta.RefOf(obj), err)
	}
	return d.Clock.Now(), false, nil
}

// lostOr returns why ctx ended if its claim was lost, else err.
func lostOr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, store.ErrLeaseLost) {
		return cause
	}
	return err
}

// untilLost returns a context that ends, with a cause wrapping
// store.ErrLeaseLost, when lost is closed; stop releases it.
func untilLost(ctx context.Context, lost <-chan struct{}, claim string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-lost:
			cancel(fmt.Errorf("reconcile: claim %s: %w", claim, store.ErrLeaseLost))
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil); <-done }
}

// finalDeletions reports whether p's deletions stand on any version of
// its Object (Plan.Final), each naming the version it was decided on.
func finalDeletions(p Plan) bool {
	if !p.Final {
		return false
	}
	for _, del := range p.Delete {
		if del.ResourceVersion == "" {
			return false
		}
	}
	return true
}

// fresh returns store.ErrConflict if obj is no longer the stored version.
// It reads the Store itself (store.WithFreshRead): a cache in front of it
// (the Manager's start-up list) may answer with the very version obj was
// read as, and the check would compare that with itself. Only the
// metadata is read (store.GetMetaOf): the version is all it compares.
func fresh(ctx context.Context, d Deps, obj meta.Object) error {
	ref := meta.RefOf(obj)
	if reflect.TypeOf(obj).Kind() != reflect.Pointer {
		return nil
	}
	m, err := store.GetMetaOf(store.WithFreshRead(ctx), d.Store, ref, func() meta.Object {
		o, _ := newLike(obj)
		return o
	})
	if err != nil {
		return fmt.Errorf("reconcile: reread %s: %w", ref, err)
	}
	if m.ResourceVersion != obj.GetMeta().ResourceVersion {
		return fmt.Errorf("reconcile: %s changed since it was decided on: %w", ref, store.ErrConflict)
	}
	return nil
}

// newLike returns a new zero object of obj's concrete type.
func newLike(obj meta.Object) (meta.Object, bool) {
	t := reflect.TypeOf(obj)
	if t.Kind() != reflect.Pointer {
		return nil, false
	}
	o, ok := reflect.New(t.Elem()).Interface().(meta.Object)
	return o, ok
}
