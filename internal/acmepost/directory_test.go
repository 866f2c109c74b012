package acmepost

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// heldDirectory is a CA whose directory answers wait until release is
// closed, counting the GETs.
func heldDirectory(release <-chan struct{}, gets *atomic.Int32) *acme.Client {
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		gets.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(`{"renewalInfo":"https://ca.test/ari","meta":{"profiles":{"classic":""}}}`))}, nil
	})
	return &acme.Client{DirectoryURL: "https://ca.test/dir", HTTPClient: &http.Client{Transport: rt}}
}

// Orders opened at once on a fresh Client (a Manager starting with work
// queued) read the directory with one GET, not one each; later uses ask
// nothing.
func TestDirectoryFetchedOnceForConcurrentFirstUses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var gets atomic.Int32
		cl := heldDirectory(release, &gets)
		c := &Client{}
		const n = 8
		dirs, errs := make([]directory, n), make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { dirs[i], errs[i] = c.directory(context.Background(), cl) })
		}
		synctest.Wait() // every caller is waiting: in the GET, or for it
		assert.Equal(t, int32(1), gets.Load(), "one GET for all the callers")
		close(release)
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			assert.Equal(t, "https://ca.test/ari", dirs[i].renewalInfo)
		}
		_, err := c.directory(context.Background(), cl)
		require.NoError(t, err)
		assert.Equal(t, int32(1), gets.Load(), "kept")
	})
}

// A caller whose context ends while the others wait for its GET does not
// fail them: one of them fetches the directory again.
func TestDirectoryFetchOfACancelledCallerIsTakenOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var gets atomic.Int32
		cl := heldDirectory(release, &gets)
		c := &Client{}
		first, cancel := context.WithCancel(context.Background())
		var firstErr error
		var wg sync.WaitGroup
		wg.Go(func() { _, firstErr = c.directory(first, cl) })
		synctest.Wait()
		const n = 3
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { _, errs[i] = c.directory(context.Background(), cl) })
		}
		synctest.Wait()
		require.Equal(t, int32(1), gets.Load())
		cancel()
		synctest.Wait()
		assert.Equal(t, int32(2), gets.Load(), "one waiter fetches it again, alone")
		close(release)
		wg.Wait()
		assert.True(t, errors.Is(firstErr, context.Canceled), "%v", firstErr)
		for i := range n {
			assert.NoError(t, errs[i])
		}
	})
}
