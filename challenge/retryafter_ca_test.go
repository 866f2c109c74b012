package challenge_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
)

// A CA that answers thousands of URLs with Retry-After fills its own
// budget of hints, not another CA's: the other CA's pending hint survives,
// so its next poll still waits as long as it asked.
func TestRetryAfterRecorder_OneCACannotEvictAnother(t *testing.T) {
	ctx := testCtx(t)
	rec := &challenge.RetryAfterRecorder{}
	send := func(rt http.RoundTripper, url string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		require.NoError(t, err)
		_, err = rt.RoundTrip(req)
		require.NoError(t, err)
	}
	normal := rec.WrapCA(retryAfterTransport{}, "https://normal.example.test/dir")
	hostile := rec.WrapCA(retryAfterTransport{}, "https://hostile.example.test/dir")
	const authz = "https://normal.example.test/authz/1"
	send(normal, authz)
	for i := range 10000 {
		send(hostile, fmt.Sprintf("https://hostile.example.test/order/%d", i))
	}
	d, ok := rec.RetryAfter(authz)
	assert.True(t, ok, "the normal CA's hint was evicted by the hostile CA's")
	assert.Equal(t, 3*time.Second, d)
	d, ok = rec.RetryAfter("https://hostile.example.test/order/9999")
	assert.True(t, ok, "the hostile CA's latest hint is kept")
	assert.Equal(t, 3*time.Second, d)
}
