package events

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestExpiries_NamesAtRandomDueTimes: Events queued at random due times
// (out of order, across many chunks, some queued again), popped a little
// at a time, each come out when due, in order, under their own name, so
// no chunk is dropped or refilled while a name in it is queued.
func TestExpiries_NamesAtRandomDueTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var x expiries
	queued := map[string]time.Time{} // name -> due, the latest queued
	now := epoch
	seq := 0
	for range 200 {
		for range rng.IntN(300) {
			seq++
			name := fmt.Sprintf("ev-%06d-%s", seq, string(make([]byte, rng.IntN(40))))
			if rng.IntN(5) == 0 && len(queued) > 0 {
				for n := range queued {
					name = n // queued again, a later version
					break
				}
			}
			due := now.Add(time.Duration(rng.IntN(3600)) * time.Second)
			x.track(meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: name}, fmt.Sprint(seq), due)
			queued[name] = due
		}
		now = now.Add(time.Duration(rng.IntN(120)) * time.Second)
		var last time.Time
		for _, e := range x.popDue(now, 1<<20) {
			due, ok := queued[e.ref.Name]
			require.True(t, ok, "popped %q, never queued or popped twice", e.ref.Name)
			require.False(t, due.After(now), "%q popped before it is due", e.ref.Name)
			require.False(t, due.Before(last), "%q popped out of order", e.ref.Name)
			last = due
			delete(queued, e.ref.Name)
		}
		for n, due := range queued {
			require.True(t, due.After(now), "%q due but not popped", n)
		}
	}
	for _, e := range x.popDue(now.Add(2*time.Hour), 1<<20) {
		_, ok := queued[e.ref.Name]
		require.True(t, ok, "popped %q", e.ref.Name)
		delete(queued, e.ref.Name)
	}
	require.Empty(t, queued)
	require.Empty(t, x.names.chunks)
}
