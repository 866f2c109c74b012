package measure_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/cmd/scale/measure"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// Every event a CA issuance records is either stored or counted lost, so
// the report's "create Event" count plus EventsLost is five per certificate
// (Generated, Requested, Issued on the Certificate; Approved, Issued on its
// request) and the Issuer's KeyPairVerified, however far the writer fell
// behind.
func TestRunReportsEventsLost(t *testing.T) {
	const n = 1000
	st := memory.New()
	opts := measure.Options{
		Certs:        n,
		Idle:         100 * time.Millisecond,
		Quiet:        100 * time.Millisecond,
		Open:         func() (store.Store, func() error, error) { return st, func() error { return nil }, nil },
		ReadyTimeout: time.Minute,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := measure.Run(ctx, opts)
	require.NoError(t, err)

	evs, err := store.ListOf[meta.Event](ctx, st, store.ListOptions{Kind: meta.KindEvent})
	require.NoError(t, err)
	assert.Equal(t, 5*n+1, len(evs)+int(rep.EventsLost), "stored %d, lost %d", len(evs), rep.EventsLost)

	var out bytes.Buffer
	rep.Print(&out)
	assert.Contains(t, out.String(), fmt.Sprintf("events recorded but not stored (certflow_events_lost_total; dropped while 4,096 waited): %d\n", rep.EventsLost))
}
