package challenge_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
)

type retryAfterTransport struct{}

func (retryAfterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Retry-After": {"3"}}, Body: http.NoBody, Request: req}, nil
}

// The CA chooses the URLs the recorder keeps hints for: thousands of long
// ones (16 KiB each here, 64 MiB in all) must not be kept whole, and a
// long URL's hint still reaches its poll.
func TestRetryAfterRecorder_LongURLsAreNotKept(t *testing.T) {
	ctx := testCtx(t)
	rec := &challenge.RetryAfterRecorder{}
	rt := rec.Wrap(retryAfterTransport{})
	long := "https://ca.example.test/order/" + strings.Repeat("x", 16<<10)
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	const urls = 4000
	for i := range urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/%d", long, i), nil)
		require.NoError(t, err)
		_, err = rt.RoundTrip(req)
		require.NoError(t, err)
	}
	grown := int64(heap()) - int64(before)
	assert.Less(t, grown, int64(8<<20), "heap grew %d MiB for %d hints", grown>>20, urls)
	d, ok := rec.RetryAfter(fmt.Sprintf("%s/%d", long, urls-1))
	assert.True(t, ok)
	assert.Equal(t, "3s", d.String())
	runtime.KeepAlive(rec)
}
