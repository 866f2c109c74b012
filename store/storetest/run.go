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
	bulk    NewStore
}

// WithHistory declares that stores made by NewStore remember at least the n
// most recent changes and, while no watch is behind, at most about 2n. Run
// then checks that a Watch from before them fails with store.ErrCompacted,
// and that a watcher n changes behind still gets them all. Without it Run
// only checks that an early Watch either replays everything in order or
// reports ErrCompacted, and that a watcher 2048 changes behind gets them all.
func WithHistory(n int) Option { return func(c *config) { c.history = n } }

// WithBulkStore gives Run a second constructor for the subtests that write
// thousands of changes to check what a watch delivers (a reader 2048
// changes behind): the same store with its per-write durability relaxed
// (no fsync), which changes nothing a watch sees and saves most of their
// time. Without it they use NewStore.
func WithBulkStore(newStore NewStore) Option { return func(c *config) { c.bulk = newStore } }

// epoch is the time the fake clock handed to NewStore starts at.
func epoch() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// testTimeout bounds every subtest so a hang fails well before the test
// binary's own timeout. It is no measure of speed: a loaded machine
// stretches a subtest of thousands of synced writes to half a minute.
const testTimeout = 2 * time.Minute

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
			open := newStore
			if bulkTests[tc.name] && cfg.bulk != nil {
				open = cfg.bulk
			}
			tc.fn(ctx, t, &harness{clk: clk, s: open(t, clk)})
		})
	}
}

// bulkTests write thousands of changes: WithBulkStore's stores serve them.
var bulkTests = map[string]bool{"WatchSlowReader": true}

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
