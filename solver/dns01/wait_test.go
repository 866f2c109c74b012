package dns01

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
)

// awaitTimer blocks until the Checker arms a timer on fc (it went to sleep
// between attempts) or the test's deadline passes.
func awaitTimer(ctx context.Context, t *testing.T, fc *clock.Fake) {
	t.Helper()
	for {
		ch := fc.Changed()
		if fc.Waiters() > 0 {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("checker never went to sleep")
		}
	}
}

func TestWait_PassesOnceTheLastServerCatchesUp(t *testing.T) {
	w := newWorld(t)
	fc := clock.NewFake(time.Unix(1_700_000_000, 0))
	w.cfg.Clock, w.cfg.PollInterval, w.cfg.Timeout = fc, time.Second, time.Minute
	w.ns1.Add(t, txt(fqdn, "v1"))
	c := w.checker(t)
	ctx := testCtx(t)

	done := make(chan error, 1)
	go func() { done <- c.Wait(ctx, fqdn, "v1") }()
	awaitTimer(ctx, t, fc)
	w.ns2.Add(t, txt(fqdn, "v1"))
	fc.Advance(time.Second)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("Wait did not return")
	}
}

func TestWait_TimesOutWithTheLastCheckError(t *testing.T) {
	w := newWorld(t)
	fc := clock.NewFake(time.Unix(1_700_000_000, 0))
	w.cfg.Clock, w.cfg.PollInterval, w.cfg.Timeout = fc, 2*time.Second, 5*time.Second
	w.ns1.Add(t, txt(fqdn, "v1"))
	c := w.checker(t)
	ctx := testCtx(t)

	done := make(chan error, 1)
	go func() { done <- c.Wait(ctx, fqdn, "v1") }()
	for {
		changed := fc.Changed() // taken before looking, so no wake-up is missed
		if fc.Waiters() > 0 {
			fc.Advance(2 * time.Second)
			continue
		}
		select {
		case err := <-done:
			require.ErrorIs(t, err, ErrWaitTimeout)
			require.ErrorIs(t, err, ErrNotPropagated)
			var pe *PropagationError
			require.ErrorAs(t, err, &pe)
			assert.Contains(t, err.Error(), "(4 attempts)")
			return
		case <-changed:
		case <-ctx.Done():
			t.Fatal("Wait did not time out")
		}
	}
}

func TestWait_InvalidNameFailsAtOnce(t *testing.T) {
	c, err := New(Config{Resolvers: []string{"127.0.0.1:9"}})
	require.NoError(t, err)
	require.ErrorIs(t, c.Wait(testCtx(t), "a..b", "v"), ErrInvalidName)
}
