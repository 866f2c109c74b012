package route53_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/solver/route53"
	"github.com/certflow/certflow/solver/route53/route53test"
)

func TestPresentAndCleanUpWaitForInsync(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	srv.SetPendingPolls(2)
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)
	ch := challenge("example.com", false, "ka")

	require.NoError(t, s.Present(testCtx(t), ch))
	assert.Equal(t, 3, srv.Calls(route53test.OpGetChange), "two PENDING, then INSYNC")

	require.NoError(t, s.CleanUp(testCtx(t), ch))
	assert.Equal(t, 6, srv.Calls(route53test.OpGetChange))
}

func TestNoChangeMeansNoWait(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	cfg, secrets := staticConfig()
	s := newSolver(t, testProvider(srv), cfg, secrets)

	require.NoError(t, s.CleanUp(testCtx(t), challenge("example.com", false, "ka")))

	assert.Zero(t, srv.Calls(route53test.OpGetChange))
}

// With a fake clock the deadline is reached by advancing time, never by
// waiting: the solver polls once per interval and gives up at the timeout
// with a *ChangeTimeoutError.
func TestInsyncDeadlineIsChangeTimeoutError(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	srv.SetPendingPolls(-1)
	fake := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	p := testProvider(srv)
	p.Clock, p.PollInterval, p.Timeout = fake, 10*time.Second, 30*time.Second
	cfg, secrets := staticConfig()
	s := newSolver(t, p, cfg, secrets)
	ctx := testCtx(t)

	done := make(chan error, 1)
	go func() { done <- s.Present(ctx, challenge("example.com", false, "ka")) }()
	var err error
	for err == nil {
		changed := fake.Changed()
		if fake.Waiters() > 0 {
			fake.Advance(10 * time.Second)
			continue
		}
		select {
		case err = <-done:
			require.Error(t, err, "Present succeeded although the change never became INSYNC")
		case <-changed:
		case <-ctx.Done():
			t.Fatal("Present did not give up")
		}
	}

	var te *route53.ChangeTimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "PENDING", te.Status)
	assert.Equal(t, 30*time.Second, te.Timeout)
	assert.Contains(t, te.ChangeID, "/change/")
	assert.Equal(t, 3, srv.Calls(route53test.OpGetChange), "one poll per interval until the deadline")
}

func TestWaitHonoursContext(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	srv.SetPendingPolls(-1)
	p := testProvider(srv)
	p.PollInterval, p.Timeout = time.Millisecond, time.Hour
	cfg, secrets := staticConfig()
	s := newSolver(t, p, cfg, secrets)
	ctx, cancel := context.WithCancel(testCtx(t))

	done := make(chan error, 1)
	go func() { done <- s.Present(ctx, challenge("example.com", false, "ka")) }()
	// The fake API tells no one of a call: its count is polled.
	require.Eventually(t, func() bool { return srv.Calls(route53test.OpGetChange) > 0 }, 10*time.Second, time.Millisecond)
	cancel()

	select {
	case err := <-done:
		assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	case <-testCtx(t).Done():
		t.Fatal("Present ignored the cancelled context")
	}
}
