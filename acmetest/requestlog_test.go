package acmetest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
)

func TestRequestLogRecordsEveryRequestInOrder(t *testing.T) {
	srv := acmetest.NewServer(t, acmetest.WithFaults(acmetest.ServerInternal(acmetest.EndpointDirectory, 2)))
	before := time.Now()
	for range 3 {
		res, err := srv.Client().Get(srv.DirectoryURL())
		require.NoError(t, err)
		_ = res.Body.Close()
	}
	log := srv.RequestLog()
	require.Len(t, log, 3)
	for i, r := range log {
		assert.Equal(t, acmetest.EndpointDirectory, r.Endpoint)
		assert.False(t, r.At.Before(before))
		if i > 0 {
			assert.False(t, r.At.Before(log[i-1].At))
		}
	}
	assert.Equal(t, acmetest.FaultKind(0), log[0].Fault)
	assert.Equal(t, acmetest.FaultServerInternal, log[1].Fault)
}
