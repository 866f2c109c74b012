package measure

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// After resetPeakRSS, peakRSS is the peak of what followed: 64 MiB
// touched and given back before the reset are not in it.
func TestResetPeakRSSForgetsAnEarlierPeak(t *testing.T) {
	const size = 64 << 20
	b := make([]byte, size)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	runtime.KeepAlive(b)
	before := peakRSS()
	require.Positive(t, before)
	debug.FreeOSMemory()
	resetPeakRSS()
	after := peakRSS()
	require.Less(t, after, before-size/2, "VmHWM %d MiB before the reset, %d MiB after", before>>20, after>>20)
}

// rss reads the same resident set as VmRSS in /proc/self/status: 64 MiB
// touched show in both, and they agree within what the reads between them
// may touch.
func TestRSSAgreesWithVmRSS(t *testing.T) {
	const size = 64 << 20
	b := make([]byte, size)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	fromStatm, fromStatus := rss(), procStatus("VmRSS:")
	runtime.KeepAlive(b)
	require.Greater(t, fromStatm, uint64(size))
	require.InDelta(t, float64(fromStatus), float64(fromStatm), 4<<20, "statm %d B, status %d B", fromStatm, fromStatus)
}

// watchRSS sees a peak that came and went while it slept: 64 MiB touched
// and given back in the window are in what it returns.
func TestWatchRSSSeesAPeakBetweenReads(t *testing.T) {
	const size = 64 << 20
	debug.FreeOSMemory()
	before := rss()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer cancel() // ends the window once the peak is gone
		b := make([]byte, size)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		runtime.KeepAlive(b)
		debug.FreeOSMemory() // b is garbage now
	}()
	peak := watchRSS(ctx, time.Now().Add(time.Hour), -1, &periods{}) // the one wake-up: ctx
	require.Greater(t, peak, before+size/2, "peak %d MiB, %d MiB before", peak>>20, before>>20)
	require.Less(t, rss(), peak-size/2, "the 64 MiB were given back before the window ended")
}
