package measure

import (
	"bytes"
	"crypto/sha256"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/cputime"
)

// A profile of this package burning CPU and of collections of a
// pointer-bearing heap splits into this program's and the collector's
// marking, and adds up to the samples' CPU.
func TestSplitProfileTellsSpenders(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, pprof.StartCPUProfile(&buf))
	burn(300 * time.Millisecond)
	// Marking a heap of a million pointers takes a few milliseconds of CPU
	// each time: collect until 300 ms of CPU went by.
	heap := make([]*[2]int, 1<<20)
	for i := range heap {
		heap[i] = new([2]int)
	}
	for began, _ := cputime.Process(); ; {
		runtime.GC()
		if now, _ := cputime.Process(); now-began > 300*time.Millisecond {
			break
		}
	}
	runtime.KeepAlive(heap)
	pprof.StopCPUProfile()

	split, err := splitProfile(buf.Bytes())
	require.NoError(t, err)
	t.Log(split)
	assert.Greater(t, split[SpentProgram], 50*time.Millisecond, "the burn, classified by its package: %s", split)
	assert.Greater(t, split[SpentMarking], 20*time.Millisecond, "the collections: %s", split)
	assert.Zero(t, split[SpentManager], "nothing of the Manager ran: %s", split)
}

func TestSplitProfileRejectsWhatIsNotOne(t *testing.T) {
	_, err := splitProfile([]byte("not gzip"))
	assert.Error(t, err)
}

func TestSpenderOfClassifiesByInnermostKnownFrame(t *testing.T) {
	for _, tc := range []struct {
		frames []string
		want   Spender
	}{
		{[]string{"runtime.scanObject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, SpentMarking},
		{[]string{"runtime.madvise", "runtime.(*pageAlloc).scavenge", "runtime.bgscavenge"}, SpentScavenger},
		{[]string{"runtime.(*sweepLocked).sweep", "runtime.sweepone", "runtime.bgsweep"}, SpentSweeping},
		// A Manager goroutine allocating sweeps a span: the sweep's.
		{[]string{"runtime.sweepone", "runtime.mallocgc", "github.com/certflow/certflow.(*Manager).work"}, SpentSweeping},
		{[]string{"os.ReadFile", "github.com/certflow/certflow/cmd/scale/measure.rss"}, SpentProgram},
		{[]string{"github.com/certflow/certflow/store/memory.(*Store).Get"}, SpentManager},
		{[]string{"runtime.findRunnable", "runtime.schedule", "runtime.mstart"}, SpentRuntime},
	} {
		assert.Equal(t, tc.want, spenderOf(tc.frames), "%v", tc.frames)
	}
}

// burn uses d of the calling thread's CPU in this package.
func burn(d time.Duration) {
	began, _ := cputime.Process()
	sum := sha256.Sum256(nil)
	for {
		for range 1000 {
			sum = sha256.Sum256(sum[:])
		}
		if now, _ := cputime.Process(); now-began > d {
			return
		}
	}
}
