package testrig

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Await blocks until cond holds, re-checking it on every change of st, or
// fails the test when ctx is done. explain, if not nil, adds to the failure
// message (a status tree).
func Await(t testing.TB, ctx context.Context, st store.Store, what string, cond func() bool, explain func() string) {
	t.Helper()
	if err := Until(ctx, st, cond); err != nil {
		msg := ""
		if explain != nil {
			msg = "\n" + explain()
		}
		t.Fatalf("waiting until %s: %v%s", what, err, msg)
	}
}

// Until is Await for callers without a testing.TB (a testscript command):
// it returns ctx's error, or the Store's if it cannot be watched.
func Until(ctx context.Context, st store.Store, cond func() bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watch := func() (<-chan store.WatchEvent, error) {
		res, err := st.List(ctx, store.ListOptions{Kind: "none"})
		if err != nil {
			return nil, err
		}
		return st.Watch(ctx, res.Revision)
	}
	events, err := watch()
	if err != nil {
		return err
	}
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-events:
			if !ok || ev.Err != nil {
				if events, err = watch(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Poll blocks until cond holds, checking it every few milliseconds, or
// fails the test when ctx is done: for state that changes without a Store
// write to wake Await (a Manager's timers, a CA's requests). Await where
// something can be awaited.
func Poll(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting until %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// WaitFor blocks until cond holds for the object named ref, re-checking on
// every change of st, and returns the object; see Await.
func WaitFor[T any, PT interface {
	*T
	meta.Object
}](t testing.TB, ctx context.Context, st store.Store, ref meta.Ref, what string, cond func(PT) bool, explain func() string) PT {
	t.Helper()
	var obj PT
	Await(t, ctx, st, ref.String()+": "+what, func() bool {
		obj = PT(new(T))
		return st.Get(ctx, ref, obj) == nil && cond(obj)
	}, explain)
	return obj
}

// Context is a test's context, the deadline of every wait: done at the end
// of the test, or after waitBudget. That bounds a hang, not the test's
// speed: the ARI drill, 15 s on a quiet machine, took about a minute in a
// loaded CI run, against the former budget of one minute.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitBudget(t))
	t.Cleanup(cancel)
	return ctx
}

// ContextAtLeast is Context for a test whose work grows with its size (a
// scale run): done at the end of the test, or after d or half a minute
// before the test binary's deadline, whichever is later. It bounds a hang
// with a message of its own; a slow but progressing run on a loaded machine
// gets all the time the binary has (TestWaitReady_ManyCertificates took
// minutes under the race detector at load 33 against its former fixed
// 3m20s).
func ContextAtLeast(t testing.TB, d time.Duration) context.Context {
	if end, ok := binaryDeadline(t); ok {
		d = max(d, time.Until(end)-deadlineGrace)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// deadlineGrace is how long before the test binary's deadline a wait gives
// up, so that it fails with its own message and cleanups rather than with
// the binary's panic.
const deadlineGrace = 30 * time.Second

// binaryDeadline is the test binary's deadline (go test -timeout), if any.
func binaryDeadline(t testing.TB) (time.Time, bool) {
	d, ok := t.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return time.Time{}, false
	}
	return d.Deadline()
}

// waitBudget is five minutes, or less when the test binary's own deadline
// (go test -timeout) comes sooner: half a minute before it, so a wait that
// never ends fails with its own message and cleanups rather than with the
// binary's panic.
func waitBudget(t testing.TB) time.Duration {
	const budget = 5 * time.Minute
	end, ok := binaryDeadline(t)
	if !ok {
		return budget
	}
	left := time.Until(end)
	return min(budget, max(left-deadlineGrace, left/2))
}

// Run calls run in a goroutine with a context derived from ctx and returns
// a stop function that cancels that context and waits for run to return;
// stop runs at cleanup too, and fails the test if run does not return
// within the given time of the cancellation.
func Run(t testing.TB, ctx context.Context, within time.Duration, run func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(within):
				t.Errorf("Run did not return after its context was cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
