package certflow

import (
	"context"
	"log/slog"
	"testing"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/store/memory"
)

// startLoggedRig is startQuietRig whose Manager logs at Info and above to
// the returned buffer, for dumpRestart: a reconcile that failed and waits
// out its backoff on the fake clock, which settle does not move, says why
// only in the log. The Manager never logs a key.
func startLoggedRig(t *testing.T, ctx context.Context, raw *memory.Store, clk *clock.Fake, sentinel *budgetSentinel) (*quietRig, *testrig.Buffer) {
	logs := &testrig.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return startQuietRigLogging(t, ctx, raw, clk, sentinel, log), logs
}
