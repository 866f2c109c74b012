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
		// bulk marks a subtest that writes thousands of changes:
		// WithBulkStore's stores serve it.
		bulk bool
	}{
		{name: "CRUD", fn: testCRUD},
		{name: "ClusterScoped", fn: testClusterScoped},
		{name: "Invalid", fn: testInvalid},
		{name: "NotFound", fn: testNotFound},
		{name: "AlreadyExists", fn: testAlreadyExists},
		{name: "CreateBatch", fn: func(ctx context.Context, t *testing.T, h *harness) {
			testCreateBatch(ctx, t, h, cfg.history)
		}},
		{name: "ConflictOnStaleResourceVersion", fn: testConflict},
		{name: "UpdateKeepsIdentity", fn: testUpdateKeepsIdentity},
		{name: "DeleteConditional", fn: testDeleteConditional},
		{name: "ListFilters", fn: testListFilters},
		{name: "ListRevision", fn: testListRevision},
		{name: "ListLabelsFollowWrites", fn: testListLabelsFollowWrites},
		{name: "ListOwnersFollowWrites", fn: testListOwnersFollowWrites},
		{name: "NoAliasing", fn: testNoAliasing},
		{name: "ListOfMatchesList", fn: testListOfMatchesList},
		{name: "ScanMatchesList", fn: testScanMatchesList},
		{name: "ScanStopsOnError", fn: testScanStopsOnError},
		{name: "ScanRevision", fn: testScanRevision},
		{name: "ScanOrdersAsList", fn: testScanOrdersAsList},
		{name: "GetZeroesTarget", fn: testGetZeroesTarget},
		{name: "GetMetaMatchesGet", fn: testGetMetaMatchesGet},
		{name: "VersionsNeverReused", fn: testVersionsNeverReused},
		{name: "WatchOrdering", fn: testWatchOrdering},
		{name: "WatchResume", fn: testWatchResume},
		{name: "WatchStopsOnCancel", fn: testWatchStopsOnCancel},
		{name: "WatchCompaction", fn: func(ctx context.Context, t *testing.T, h *harness) {
			testWatchCompaction(ctx, t, h, cfg.history)
		}},
		{name: "WatchSlowReader", fn: func(ctx context.Context, t *testing.T, h *harness) {
			testWatchSlowReader(ctx, t, h, cfg.history)
		}, bulk: true},
		{name: "Locks", fn: testLocks},
		{name: "LockExpiry", fn: testLockExpiry},
		{name: "LockInvalid", fn: testLockInvalid},
		{name: "ConcurrentWriters", fn: testConcurrentWriters},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			clk := clock.NewFake(epoch())
			open := newStore
			if tc.bulk && cfg.bulk != nil {
				open = cfg.bulk
			}
			tc.fn(ctx, t, &harness{clk: clk, s: open(t, clk)})
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
