package measure_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/cmd/scale/measure"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/memory"
)

// A small run on a file store, restart included: every phase reports, and
// the report holds what issue 11 asks of any size.
func TestRunSmoke(t *testing.T) {
	const n = 40
	dir := t.TempDir()
	opens := 0
	opts := measure.Options{
		Certs:   n,
		Restart: true,
		Idle:    300 * time.Millisecond,
		Quiet:   300 * time.Millisecond,
		Open: func() (store.Store, func() error, error) {
			opens++
			// Quick (the default): the restart's Open finds the store closed cleanly.
			st, err := file.Open(dir, file.WithoutSync())
			if err != nil {
				return nil, nil, err
			}
			return st, st.Close, nil
		},
		ReadyTimeout: time.Minute,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := measure.Run(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 2, opens, "opened again for the restart")

	require.NotNil(t, rep.Issue)
	assert.Zero(t, rep.Issue.MissedWhenReady, "names unserved when Ready")
	assert.Equal(t, n, rep.Issue.ServedAtLastReady)
	assert.GreaterOrEqual(t, rep.Issue.Calls.Of(storecount.Create), int64(n), "the Certificates were created through the counted Store")
	require.NotNil(t, rep.Idle)
	assert.Zero(t, rep.Idle.Calls.Total(), "Store calls while idle: %s", rep.Idle.Calls)
	require.NotNil(t, rep.Restart)
	assert.Zero(t, rep.Restart.Unserved)
	assert.Zero(t, rep.Restart.Calls.Writes()+rep.Restart.AfterCalls.Writes(), "writes on restart")
	assert.Equal(t, n, rep.Restart.ReadyInStore)
	require.NotNil(t, rep.RestartIdle)
	assert.Zero(t, rep.RestartIdle.Calls.Total(), "Store calls while idle after the restart: %s", rep.RestartIdle.Calls)

	assert.Positive(t, rep.Issue.CPU, "process CPU from the first Apply to the last Ready")
	if runtime.GOOS == "linux" {
		assert.Positive(t, rep.Idle.MaxRSS, "the idle window's peak resident set")
		assert.True(t, rep.Idle.Split.Known && rep.Idle.Split.Profiled, "the idle window's CPU split: %s", rep.Idle.Split)
		assert.Positive(t, rep.Idle.LiveObjects, "live objects after the settled collection")
		assert.Positive(t, rep.Issue.ApplyCPU, "the applying thread's CPU")
		assert.LessOrEqual(t, rep.Issue.ApplyCPU, rep.Issue.CPU, "the applying thread is part of the process")
	}

	var out bytes.Buffer
	rep.Print(&out)
	if runtime.GOOS == "linux" {
		assert.Contains(t, out.String(), "Apply per Certificate: wall-clock / its own CPU")
	}
	for _, want := range []string{"measure (40 certificates)", "names served when the last Certificate turned Ready", "40 of 40 (100.0%)",
		"restart: every name served after", "restart: writes in all", "restart: process CPU until served", "restart: peak RSS", "GOGC="} {
		assert.Contains(t, out.String(), want)
	}
}

// Run refuses a Store that already holds Certificates unless asked to
// measure only a restart.
func TestRunRefusesPopulatedStoreForIssuance(t *testing.T) {
	dir := t.TempDir()
	open := func() (store.Store, func() error, error) {
		st, err := file.Open(dir, file.WithoutSync())
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	ctx := context.Background()
	st, closeStore, err := open()
	require.NoError(t, err)
	require.NoError(t, st.Create(ctx, measure.Certificate(0)))
	require.NoError(t, closeStore())

	_, err = measure.Run(ctx, measure.Options{Certs: 1, Open: open, Idle: time.Millisecond})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "already holds 1 Certificates")
}

func TestRunNeedsCertsAndOpen(t *testing.T) {
	_, err := measure.Run(context.Background(), measure.Options{Open: func() (store.Store, func() error, error) { return nil, nil, nil }})
	assert.ErrorContains(t, err, "Certs must be positive")
	_, err = measure.Run(context.Background(), measure.Options{Certs: 1})
	assert.ErrorContains(t, err, "Open is required")
}

// With Settle, the window after the burst forces nothing (a forced
// collection or page return would settle the process for the scavenger),
// the wait ends only after a collection, and the steady window reports
// what the first would have.
func TestRunSettle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The runtime forces a collection every 2 minutes; the wait needs one.
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.GC()
			}
		}
	}()
	st := memory.New()
	rep, err := measure.Run(ctx, measure.Options{
		Certs: 10, Idle: 200 * time.Millisecond, Quiet: 200 * time.Millisecond, ReadyTimeout: time.Minute,
		IdleWake: 50 * time.Millisecond, Settle: 200 * time.Millisecond, SettleMax: time.Minute,
		Open: func() (store.Store, func() error, error) { return st, func() error { return nil }, nil },
	})
	require.NoError(t, err)
	require.NotNil(t, rep.Settle)
	require.NotNil(t, rep.Steady)
	assert.True(t, rep.Settle.Steady, "%s", rep.Settle)
	assert.Positive(t, rep.Settle.Collections, "steady only after a collection in the wait")
	assert.False(t, rep.Idle.Forced, "the window after the burst forced a collection")
	assert.Zero(t, rep.Idle.LiveObjects)
	assert.True(t, rep.Steady.Forced)
	if runtime.GOOS == "linux" {
		assert.Positive(t, rep.Steady.LiveObjects)
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"idle after the burst: CPU over", "wait until steady (-settle)", "idle steady: CPU over",
		"idle steady: live objects after it", "idle after the burst: scavenger: returned"} {
		assert.Contains(t, out.String(), want)
	}
}
