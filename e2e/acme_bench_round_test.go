package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBenchRound_EachRoundHasItsOwnDeadline: a contender's b.N rounds do
// not share one round's bound (at -benchtime=20x they did: the bound ran
// out with Pebble healthy and the dump that followed ended it with exit
// status 2).
func TestBenchRound_EachRoundHasItsOwnDeadline(t *testing.T) {
	rig := &benchCA{timeout: time.Hour}
	ctx, cancel := rig.lifetime(20)
	defer cancel()
	life, ok := ctx.Deadline()
	assert.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(21*time.Hour), life, time.Minute, "setup and 20 rounds")
	rounds := 0
	for range 2 {
		err := rig.round(ctx, issuanceShape{certs: 1, conc: 1}, func(ctx context.Context, _ int) error {
			d, ok := ctx.Deadline()
			assert.True(t, ok)
			assert.WithinDuration(t, time.Now().Add(time.Hour), d, time.Minute, "a round's own bound")
			rounds++
			return nil
		})
		assert.NoError(t, err)
	}
	assert.Equal(t, 2, rounds)
}

// TestBenchRound_OutOfTimeSaysSo: a round that runs out of its bound names
// it, so a slow round is not read as the CA failing.
func TestBenchRound_OutOfTimeSaysSo(t *testing.T) {
	rig := &benchCA{timeout: time.Millisecond}
	err := rig.round(context.Background(), issuanceShape{certs: 2, conc: 2}, func(ctx context.Context, _ int) error {
		<-ctx.Done()
		return ctx.Err()
	})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "a round of 2 certificates, 2 at a time, not done within its bound of 1ms")
}
