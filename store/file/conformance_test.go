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

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		return openStore(t, t.TempDir(), file.WithClock(clk), file.WithPollInterval(testPoll))
	})
}

func TestConformanceSmallHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		return openStore(t, t.TempDir(), file.WithClock(clk), file.WithPollInterval(testPoll), file.WithHistory(8))
	}, storetest.WithHistory(8))
}
