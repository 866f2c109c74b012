package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// errGone is a waited-for object that was deleted.
var errGone = errors.New("was deleted")

// gone is the error of a wait whose object was deleted.
func gone(ref meta.Ref) error { return fmt.Errorf("%s %w", refName(ref), errGone) }

// waitFor reads ref into obj after every change the Store reports, until
// done says the wait is over (true, or an error), or timeout passes; done
// is told whether the object exists. It watches the Store itself, so it
// sees what a Manager in another process writes; the command runs no
// Manager.
func waitFor(ctx context.Context, st store.Store, ref meta.Ref, obj meta.Object, timeout time.Duration,
	done func(exists bool) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := watchUntil(ctx, st, ref, obj, done)
		switch {
		case errors.Is(err, store.ErrCompacted):
			continue // fell behind the change log: read again
		case err != nil && ctx.Err() == context.DeadlineExceeded:
			return &timeoutError{fmt.Sprintf("timed out after %s waiting for %s; is a Manager running on this store?", timeout, refName(ref))}
		}
		return err
	}
}

func watchUntil(ctx context.Context, st store.Store, ref meta.Ref, obj meta.Object, done func(bool) (bool, error)) error {
	// The list's revision is where the watch starts: a change after the
	// read below is seen, none before it is missed.
	res, err := st.List(ctx, store.ListOptions{Kind: ref.Kind, Namespace: ref.Namespace})
	if err != nil && res.Revision == 0 {
		return err
	}
	events, err := st.Watch(ctx, res.Revision)
	if err != nil {
		return err
	}
	check := func() (bool, error) {
		err := st.Get(ctx, ref, obj)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return true, err
		}
		return done(err == nil)
	}
	if ok, err := check(); ok || err != nil {
		return err
	}
	for ev := range events {
		if ev.Err != nil {
			return ev.Err
		}
		if ev.Ref != ref {
			continue
		}
		if ok, err := check(); ok || err != nil {
			return err
		}
	}
	return ctx.Err()
}
