package certflow

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// startLoggedRig is startQuietRig whose Manager logs at Info and above to
// the returned buffer, for dumpRestart: a reconcile that failed and waits
// out its backoff on the fake clock, which settle does not move, says why
// only in the log. The Manager never logs a key.
func startLoggedRig(t *testing.T, ctx context.Context, raw *memory.Store, clk *clock.Fake, sentinel *budgetSentinel) (*quietRig, *testrig.Buffer) {
	logs := &testrig.Buffer{}
	r := &quietRig{t: t, ctx: ctx, raw: raw, clk: clk, sentinel: sentinel}
	r.counts = storecount.New(raw, storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		if !r.watching.Load() {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.calls) < 20 {
			r.calls = append(r.calls, fmt.Sprintf("%s %s at %s", op, ref, clk.Now().Format(time.RFC3339)))
		}
	}))
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m, err := New(Config{Store: r.counts, Clock: clk, Logger: log})
	require.NoError(t, err)
	r.m = m
	r.stop = testrig.Run(t, ctx, 10*time.Second, m.Run)
	return r, logs
}
