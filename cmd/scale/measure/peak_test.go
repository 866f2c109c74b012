package measure

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// retainedAtPeak allocates what the test's peak holds, under a name the
// profile must show.
//
//go:noinline
func retainedAtPeak() []byte { return make([]byte, 64<<20) }

// The peak's profile shows what was live at the peak; without asking for
// one, none is written. The sampler's last sample, taken when it stops,
// sees the collection made here: a test awaits nothing else.
func TestPeakHeap_ProfilesThePeak(t *testing.T) {
	ctx := context.Background()
	p := samplePeakHeap(ctx, time.Millisecond, true)
	held := retainedAtPeak()
	runtime.GC() // marks held live; end samples once more before it stops
	live := p.end()
	runtime.KeepAlive(held)
	require.GreaterOrEqual(t, live, uint64(64<<20))
	var buf bytes.Buffer
	require.NoError(t, p.writeProfile(&buf))
	zr, err := gzip.NewReader(&buf)
	require.NoError(t, err, "a pprof profile is gzipped")
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Contains(t, string(raw), "retainedAtPeak", "the profile names what held the peak")

	q := samplePeakHeap(ctx, time.Millisecond, false)
	q.end()
	buf.Reset()
	require.NoError(t, q.writeProfile(&buf))
	assert.Zero(t, buf.Len())
}
