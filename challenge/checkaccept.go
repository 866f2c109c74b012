package challenge

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/meta"
)

// earlyCheck is the first self-check of an HTTP-01 or TLS-ALPN-01
// challenge (stepCheckAccept), run on a goroutine of its own while the
// accept's claim is taken, the Challenge found unchanged and its owner
// chain checked, none of which depends on it. The visit that started it
// always ends it (stop), so it outlives nothing.
type earlyCheck struct {
	done   chan struct{}
	err    error
	cancel context.CancelFunc
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
// holds, and the write is made under the claim.
func (r *Reconciler) checkThenAccept(ctx context.Context, l loaded, o outcome, early *earlyCheck) error {
	err := early.wait(ctx)
	if err != nil || ctx.Err() != nil {
		return r.checked(ctx, o, err)
	}
	if l.issuer == nil {
		return l.issuerErr // nothing can be sent: no intent either
	}
	st := &o.ch.Status
	st.SelfCheckPassed, st.Reason = true, ""
	st.Accepting = true
	if err := r.deps.Store.Update(ctx, o.ch); err != nil {
		return fmt.Errorf("challenge: record the intent to accept %s: %w", meta.RefOf(o.ch), err)
	}
	return r.accept(ctx, l, o, false)
}
