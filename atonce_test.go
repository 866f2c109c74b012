package certflow

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// TestWorker_KeepsAskingAtOnceBacksOff: an object whose every visit asks to
// be looked at again at once (a reconciler requeueing because the child
// its plan creates is always found stored) is queued again at once for
// atOnceFreeRounds rounds, then waits a backoff that doubles; a visit that
// asks for a later look, or none, starts the count again.
func TestWorker_KeepsAskingAtOnceBacksOff(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	m, err := New(Config{Store: memory.New(), Clock: clk})
	require.NoError(t, err)
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}
	var next time.Time // zero: at the clock's now
	visits := 0
	m.reconcilers[meta.KindCertificate] = reconcileFunc(func(context.Context, meta.Ref) (time.Time, error) {
		visits++
		if next.IsZero() {
			return clk.Now(), nil
		}
		return next, nil
	})
	round := func() (bool, time.Time) { t.Helper(); return visitRound(t, m, ref) }

	for i := range atOnceFreeRounds {
		queued, _ := round()
		require.True(t, queued, "round %d: queued again at once", i+1)
	}
	assert.Equal(t, atOnceFreeRounds*dueAtOnceVisits, visits)
	_, at := round()
	assert.Equal(t, clk.Now().Add(100*time.Millisecond), at, "then it waits")
	_, at = round()
	assert.Equal(t, clk.Now().Add(200*time.Millisecond), at, "longer each round")

	next = clk.Now().Add(time.Hour)
	_, at = round()
	assert.Equal(t, next, at, "a later look is kept")
	next = time.Time{}
	queued, _ := round()
	assert.True(t, queued, "and the count starts again")
}

// visitRound visits ref as a worker does and reports whether it was queued
// again at once, else when its timer is due.
func visitRound(t *testing.T, m *Manager, ref meta.Ref) (queued bool, at time.Time) {
	t.Helper()
	m.queue.Add(ref)
	got, ok := m.queue.Get(context.Background())
	require.True(t, ok)
	require.Equal(t, ref, got)
	m.reconcileOne(context.Background(), ref)
	m.queue.Done(ref)
	if m.queue.Len() == 1 {
		got, _ := m.queue.Get(context.Background())
		m.queue.Done(got)
		return true, time.Time{}
	}
	at, ok = m.timers.Scheduled(ref)
	require.True(t, ok, "neither queued nor timed")
	return false, at
}

// TestWorker_BackingOffAtOnceIsReported: the first round an object that
// keeps asking to be looked at again at once waits a backoff is logged as
// a warning naming it, once, so a spinning reconciler shows rather than
// just slowing down. Its versions moving on (a reconciler that writes at
// every visit and still asks again at once) do not exempt it: such a loop
// is the costliest spin, a Store write per visit, and a real issuance
// asks at once for far fewer visits than atOnceFreeRounds rounds hold.
func TestWorker_BackingOffAtOnceIsReported(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	logs := &bytes.Buffer{}
	m, err := New(Config{Store: memory.New(), Clock: clk, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "spinner"}
	version := 0
	m.reconcilers[meta.KindCertificate] = reconcileFunc(func(context.Context, meta.Ref) (time.Time, error) {
		version++ // as if it wrote: the decision seen on a new version
		m.queue.Decided(ref, strconv.Itoa(version))
		return clk.Now(), nil
	})
	for i := range atOnceFreeRounds {
		queued, _ := visitRound(t, m, ref)
		require.True(t, queued, "round %d", i+1)
	}
	assert.NotContains(t, logs.String(), "WARN", "not yet backing off")

	for range 3 {
		queued, _ := visitRound(t, m, ref)
		require.False(t, queued, "backing off although its version moves on")
	}
	out := logs.String()
	assert.Equal(t, 1, strings.Count(out, "level=WARN"), "warned once: %s", out)
	for _, want := range []string{"kind=Certificate", "namespace=ns", "name=spinner"} {
		assert.Contains(t, out, want)
	}
}
