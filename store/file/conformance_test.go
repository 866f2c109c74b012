package file_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// testPoll keeps watch tests quick; the default suits production.
const testPoll = 5 * time.Millisecond

func openStore(t *testing.T, dir string, opts ...file.Option) *file.Store {
	t.Helper()
	s, err := file.Open(dir, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// The slow reader's 2048 writes, three fsyncs each, took 19-33 s on a
// loaded machine (past the subtest's deadline); it checks what a watch
// delivers, which no fsync changes, so its store skips them.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		return openStore(t, t.TempDir(), file.WithClock(clk), file.WithPollInterval(testPoll))
	}, storetest.WithBulkStore(func(t *testing.T, clk clock.Clock) store.Store {
		return openStore(t, t.TempDir(), file.WithClock(clk), file.WithPollInterval(testPoll), file.WithoutSync())
	}))
}

func TestConformanceSmallHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		return openStore(t, t.TempDir(), file.WithClock(clk), file.WithPollInterval(testPoll), file.WithHistory(8))
	}, storetest.WithHistory(8))
}
