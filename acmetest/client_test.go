package acmetest_test

import (
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
)

// TestClientKeepsTheConnectionsOfConcurrentClients: requests that many
// goroutines sent at once through Client go, the next time, over the
// connections the first ones opened. With net/http's default of two idle
// connections a host, all but two would open a new TLS connection.
func TestClientKeepsTheConnectionsOfConcurrentClients(t *testing.T) {
	t.Parallel()
	const clients = 32
	ctx := testCtx(t, 30*time.Second)
	// Held a while, the first round's requests overlap: each opens a
	// connection.
	held := acmetest.Delay(acmetest.EndpointDirectory, 1, 50*time.Millisecond)
	held.Repeat = -1
	s := acmetest.NewServer(t, acmetest.WithFaults(held))
	var reused atomic.Int32
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if info.Reused {
			reused.Add(1)
		}
	}}
	round := func() {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				<-start
				req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, s.DirectoryURL(), nil)
				require.NoError(t, err)
				res, err := s.Client().Do(req)
				if assert.NoError(t, err) {
					_, _ = io.Copy(io.Discard, res.Body) // read to the end: kept only then
					_ = res.Body.Close()
				}
			})
		}
		close(start)
		wg.Wait()
	}
	round()
	reused.Store(0)
	round()
	assert.GreaterOrEqual(t, int(reused.Load()), clients*3/4, "requests of the second round over a kept connection")
}
