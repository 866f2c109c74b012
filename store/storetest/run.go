package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/store"
)

// NewStore returns a fresh, empty store that reads time only from clk. It
// should register its own cleanup with t.
type NewStore func(t *testing.T, clk clock.Clock) store.Store

// Option tunes Run for one implementation.
type Option func(*config)

type config struct {
	history int
}

// WithHistory declares that stores made by NewStore remember at least the n
// most recent changes and, while no watch is behind, at most about 2n. Run
// then checks that a Watch from before them fails with store.ErrCompacted,
// and that a watcher n changes behind still gets them all. Without it Run
// only checks that an early Watch either replays everything in order or
// reports ErrCompacted, and that a watcher 2048 changes behind gets them all.
func WithHistory(n int) Option { return func(c *config) { c.history = n } }

// epoch is the time the fake clock handed to NewStore starts at.
func epoch() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// testTimeout bounds every subtest so a hang fails fast.
const testTimeout = 30 * time.Second

// Run runs the conformance suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	tests := []struct {
		name string
		fn   func(ctx context.Context, t *testing.T, h *harness)
	}{
		{"CRUD", testCRUD},
		{"ClusterScoped", testClusterScoped},
		{"Invalid", testInvalid},
		{"NotFound", testNotFound},
		{"AlreadyExists", testAlreadyExists},
		{"ConflictOnStaleResourceVersion", testConflict},
		{"UpdateKeepsIdentity", testUpdateKeepsIdentity},
		{"DeleteConditional", testDeleteConditional},
		{"ListFilters", testListFilters},
		{"ListRevision", testListRevision},
		{"ListLabelsFollowWrites", testListLabelsFollowWrites},
		{"ListOwnersFollowWrites", testListOwnersFollowWrites},
		{"NoAliasing", testNoAliasing},
		{"GetZeroesTarget", testGetZeroesTarget},
		{"WatchOrdering", testWatchOrdering},
		{"WatchResume", testWatchResume},
		{"WatchStopsOnCancel", testWatchStopsOnCancel},
		{"WatchCompaction", func(ctx context.Context, t *testing.T, h *harness) {
			testWatchCompaction(ctx, t, h, cfg.history)
		}},
		{"WatchSlowReader", func(ctx context.Context, t *testing.T, h *harness) {
			testWatchSlowReader(ctx, t, h, cfg.history)
		}},
		{"Locks", testLocks},
		{"LockExpiry", testLockExpiry},
		{"LockInvalid", testLockInvalid},
		{"ConcurrentWriters", testConcurrentWriters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			clk := clock.NewFake(epoch())
			tc.fn(ctx, t, &harness{clk: clk, s: newStore(t, clk)})
		})
	}
}

// harness is what each subtest gets besides its deadline: the fake clock
// and a fresh store.
type harness struct {
	clk *clock.Fake
	s   store.Store
}

func (h *harness) create(ctx context.Context, t *testing.T, w *Widget) *Widget {
	t.Helper()
	require.NoError(t, h.s.Create(ctx, w))
	return w
}

func (h *harness) get(ctx context.Context, t *testing.T, w *Widget) *Widget {
	t.Helper()
	got := &Widget{}
	require.NoError(t, h.s.Get(ctx, w.Ref(), got))
	return got
}
