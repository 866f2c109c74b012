package events

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// An Event last seen past 2262 (where Unix nanoseconds end; a clock gone
// wrong, or another replica's) waits: its due time is not wrapped into the
// past, where it would be deleted at once.
func TestExpiries_AFarFutureEventWaits(t *testing.T) {
	var x expiries
	ref := meta.Ref{Kind: meta.KindEvent, Namespace: "default", Name: "future"}
	x.track(ref, "1", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.Empty(t, x.popDue(epoch, expireBatch), "not due now")
	assert.True(t, x.next().After(epoch.AddDate(200, 0, 0)), "due far in the future: %s", x.next())

	earlier := meta.Ref{Kind: meta.KindEvent, Namespace: "default", Name: "long-ago"}
	assert.True(t, x.track(earlier, "1", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)), "earliest")
	got := x.popDue(epoch, expireBatch)
	require.Len(t, got, 1, "one before 1678 is due")
	assert.Equal(t, earlier, got[0].ref)

	assert.Empty(t, x.popDue(time.Date(2250, 1, 1, 0, 0, 0, 0, time.UTC), expireBatch))
	got = x.popDue(time.Date(2301, 1, 1, 0, 0, 0, 0, time.UTC), expireBatch)
	require.Len(t, got, 1, "due once a clock that far on reaches it")
	assert.Equal(t, ref, got[0].ref)
}
