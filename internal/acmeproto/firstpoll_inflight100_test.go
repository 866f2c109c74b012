package acmeproto

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// looksFor is how many looks an authorization whose CA takes lat costs
// when its first look comes after first: one, then one more each time the
// pause doubles (Poll.PauseSince: the looks come at first, 2·first, 4·first
// …), up to DefaultMaxPoll apart.
func looksFor(first, lat time.Duration) int {
	n := 1
	for at := first; at < lat; n++ {
		at += min(at, DefaultMaxPoll)
	}
	return n
}

// inFlight runs n authorizations through f with inflight of them accepted
// and not yet looked at, at all times: each takes its first pause when
// accepted, and is looked at, in a random order among those in flight,
// after other accepts have taken theirs (and other looks stepped the
// pause). It returns the looks per authorization over the last half, and
// the shortest pause the learner took over it.
func inFlight(f *FirstPoll, r *rand.Rand, n, inflight int, latency func() time.Duration) (looks float64, least time.Duration) {
	pending := make([]time.Duration, inflight)
	for i := range pending {
		pending[i] = f.Pause()
	}
	total, counted := 0, 0
	least = MaxFirstPoll
	for k := range n {
		i := r.IntN(inflight)
		s, lat := pending[i], latency()
		f.ObserveAfter(s, lat <= s)
		if k >= n/2 {
			total += looksFor(s, lat)
			counted++
			least = min(least, f.Pause())
		}
		pending[i] = f.Pause()
	}
	return float64(total) / float64(counted), least
}

// (2) A hundred accepts in flight at once, at a CA whose validation takes
// about 20ms or about 1s, do not make the learned pause collapse: it never
// falls far under what the CA needs (a burst of looks that find nothing),
// and an authorization costs about as many looks as with one accept in
// flight at a time. Each look's outcome counts for the pause it was
// scheduled at, and only near the current one (ObserveAfter).
func TestFirstPollHundredInFlightDoesNotCollapse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		median time.Duration
	}{
		{"20ms", 20 * time.Millisecond},
		{"1s", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 6))
			latency := func() time.Duration { return time.Duration(float64(tc.median) * math.Exp(0.5*r.NormFloat64())) }
			alone, _ := inFlight(newFirstPoll(), r, 20000, 1, latency)
			looks, least := inFlight(newFirstPoll(), r, 20000, 100, latency)
			t.Logf("looks per authorization: one in flight %.2f, a hundred %.2f; least pause %v", alone, looks, least)
			// The latency's 5th percentile is median·e^(−0.82).
			assert.GreaterOrEqual(t, least, time.Duration(float64(tc.median)*math.Exp(-0.5*1.645)),
				"the pause fell under the CA's 5th percentile")
			assert.LessOrEqual(t, looks, alone*1.15, "a hundred in flight cost more looks per authorization")
			assert.LessOrEqual(t, looks, 1.5)
		})
	}
}

// Waves of a hundred accepts taken together (all scheduled at one
// pause), whose looks are told from a hundred goroutines at once as the
// Manager's workers do, with the race detector watching: the pause keeps
// above the CA's 5th percentile, and the waves cost about one look each.
func TestFirstPollHundredConcurrentLooksDoNotCollapse(t *testing.T) {
	const median = 20 * time.Millisecond
	f := newFirstPoll()
	r := rand.New(rand.NewPCG(7, 8))
	least, total, counted := MaxFirstPoll, 0, 0
	for round := range 200 {
		s := f.Pause()
		lats := make([]time.Duration, 100)
		for i := range lats {
			lats[i] = time.Duration(float64(median) * math.Exp(0.5*r.NormFloat64()))
		}
		var wg sync.WaitGroup
		for _, lat := range lats {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.ObserveAfter(s, lat <= s)
			}()
		}
		wg.Wait()
		if round >= 100 {
			least = min(least, f.Pause())
			for _, lat := range lats {
				total += looksFor(s, lat)
			}
			counted += len(lats)
		}
	}
	looks := float64(total) / float64(counted)
	t.Logf("least pause over the last half: %v, last %v; looks per authorization %.2f", least, f.Pause(), looks)
	assert.GreaterOrEqual(t, least, time.Duration(float64(median)*math.Exp(-0.5*1.645)), "the pause collapsed under concurrent looks")
	assert.LessOrEqual(t, looks, 1.5)
}
