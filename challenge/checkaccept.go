package challenge

import (
	"context"
	"fmt"
	"time"

	"github.com/certflow/certflow/meta"
)

// ownersTrustedFor is how long after the first self-check started the
// owner check made beside it still stands for the accept. The check
// (reconcile.OwnersCheck) is best effort: an owner deleted between its
// last read and the accept's POST gets the accept anyway, and that POST
// (a nonce, a signature, a round trip to the CA) takes tens of
// milliseconds itself. A check that answers within that, as a local one
// does (about a millisecond), widens the window by no more than the POST
// does, and costs no Store read; one that takes longer (a load balancer
// in front, a timeout) would stretch it to AttemptTimeout, so the owners
// are checked again after it.
const ownersTrustedFor = 50 * time.Millisecond

// earlyCheck is the first self-check of an HTTP-01 or TLS-ALPN-01
// challenge (stepCheckAccept), run on a goroutine of its own while the
// accept's claim is taken and its owner chain checked, neither of which
// depends on it. The step writes the Challenge before anything else
// (reconcile.Effect.WritesFirst: the intent, or the failed check), which
// finds it unchanged or fails with a conflict. The visit that started it
// always ends it (stop), so it outlives nothing.
type earlyCheck struct {
	// started is when the check began, on the injected Clock: before the
	// claim was taken and the owners checked, so the owner check is never
	// older than the time since.
	started time.Time
	done    chan struct{}
	err     error
	cancel  context.CancelFunc
	// panicked is what the check panicked with, raised again on the
	// visit's goroutine (wait, or stop if wait was not reached): there the
	// Manager turns a panic into a failed reconcile, as it did when the
	// check ran on that goroutine; on its own goroutine it would end the
	// process.
	panicked any
	raised   bool
}

// startCheck starts checking what ch presents.
func (r *Reconciler) startCheck(ctx context.Context, l loaded, ch *Challenge, c *earlyCheck) {
	cctx, cancel := context.WithCancel(ctx)
	c.started = r.deps.Clock.Now()
	c.done, c.cancel = make(chan struct{}), cancel
	checked := *ch // the plan's object is written after the check, never during it
	go func() {
		defer close(c.done)
		defer func() {
			if p := recover(); p != nil {
				c.panicked = p
			}
		}()
		c.err = r.selfCheck(cctx, l, &checked)
	}()
}

// raise panics with what the ended check panicked with, once.
func (c *earlyCheck) raise() {
	if c.panicked != nil && !c.raised {
		c.raised = true
		panic(c.panicked)
	}
}

// wait returns the check's outcome, or ctx's error if ctx ends first.
func (c *earlyCheck) wait(ctx context.Context) error {
	select {
	case <-c.done:
		c.raise()
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends the check if it still runs, and waits for it.
func (c *earlyCheck) stop() {
	c.cancel()
	<-c.done
	c.raise()
}

// checkThenAccept is the accept of a challenge whose first self-check ran
// beside its claim and owner check (started by execute). A failed check is
// recorded as one (no intent, nothing sent; the next check runs on its
// own). A passed one stores the intent to accept, with the check's
// outcome, before the POST, as stepAccept's plan would: the safety rule
// holds, and the write is made under the claim. A check that outlasted
// ownersTrustedFor has the owners checked again first: a gone owner then
// gets nothing written and nothing sent, and the step fails with
// reconcile.ErrOwnerGone as when the owner check before it found it gone.
func (r *Reconciler) checkThenAccept(ctx context.Context, l loaded, o outcome, early *earlyCheck) error {
	err := early.wait(ctx)
	if err != nil || ctx.Err() != nil {
		return r.checked(ctx, o, err)
	}
	if l.issuer == nil {
		return l.issuerErr // nothing can be sent: no intent either
	}
	if r.deps.Clock.Now().Sub(early.started) > ownersTrustedFor {
		if err := r.ownersStand(ctx, o.ch); err != nil {
			return err
		}
	}
	st := &o.ch.Status
	st.SelfCheckPassed, st.Reason = true, ""
	st.Accepting = true
	if err := r.deps.Store.Update(ctx, o.ch); err != nil {
		return fmt.Errorf("challenge: record the intent to accept %s: %w", meta.RefOf(o.ch), err)
	}
	return r.accept(ctx, l, o, false)
}
