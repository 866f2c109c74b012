package acmeproto

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simulate runs n authorizations whose CA takes latency() each through f,
// as a client polling first after f.Pause() sees them, and returns the
// share of first looks that found the verdict over the last half.
func simulate(f *FirstPoll, n int, latency func() time.Duration) float64 {
	hits := 0
	for i := range n {
		hit := latency() <= f.Pause()
		f.Observe(hit)
		if i >= n/2 && hit {
			hits++
		}
	}
	return float64(hits) / float64(n-n/2)
}

// The learned first pause settles where about FirstPollTarget of first
// looks find the verdict, for CAs of very different speeds, and near the
// latency's quantile of that rank.
func TestFirstPollConvergesToTargetHitRate(t *testing.T) {
	tests := []struct {
		name    string
		latency func(r *rand.Rand) time.Duration
	}{
		// Let's Encrypt-like: a median of a second, from 0.3 s to 4 s.
		{"lognormal around 1s", func(r *rand.Rand) time.Duration {
			return time.Duration(float64(time.Second) * math.Exp(0.5*r.NormFloat64()))
		}},
		// A busy local CA.
		{"uniform 2-20ms", func(r *rand.Rand) time.Duration {
			return 2*time.Millisecond + time.Duration(r.Int64N(int64(18*time.Millisecond)))
		}},
		// A DNS-01 validation that waits for propagation.
		{"bimodal 0.2s or 2s", func(r *rand.Rand) time.Duration {
			if r.IntN(4) == 0 {
				return 2 * time.Second
			}
			return 200 * time.Millisecond
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			f := newFirstPoll()
			rate := simulate(f, 20000, func() time.Duration { return tt.latency(r) })
			assert.InDelta(t, FirstPollTarget, rate, 0.03, "share of first looks that found the verdict")

			// The pause it ends at is about the latency's 75th percentile
			// (above it for a while after each miss).
			sample := make([]time.Duration, 10000)
			for i := range sample {
				sample[i] = tt.latency(r)
			}
			sort.Slice(sample, func(i, j int) bool { return sample[i] < sample[j] })
			lo, hi := sample[len(sample)*50/100], sample[len(sample)*95/100]
			var sum float64
			for range 1000 {
				f.Observe(tt.latency(r) <= f.Pause())
				sum += math.Log(float64(f.Pause()))
			}
			mean := time.Duration(math.Exp(sum / 1000))
			assert.True(t, mean >= lo && mean <= hi*3/2, "mean pause %v outside the latency's 50th percentile to 1.5 times its 95th [%v, %v]", mean, lo, hi*3/2)
		})
	}
}

// A CA that answers in microseconds drives the pause down to MinFirstPoll
// and no further; one that never answers in time up to MaxFirstPoll.
func TestFirstPollClamps(t *testing.T) {
	f := newFirstPoll()
	require.Equal(t, DefaultFirstPoll, f.Pause(), "starts at today's fixed pause")
	for range 100 {
		f.Observe(true)
	}
	assert.Equal(t, MinFirstPoll, f.Pause())
	for range 100 {
		f.Observe(false)
	}
	assert.Equal(t, MaxFirstPoll, f.Pause())
	f.Observe(true)
	assert.Less(t, f.Pause(), MaxFirstPoll)
}

// The steps, once a look has missed: a miss after a hit grows the pause
// by 2^(1/3), a miss after a miss doubles it, a hit shrinks it by
// firstPollShrink; at four in five first looks hitting they cancel out on
// average.
func TestFirstPollSteps(t *testing.T) {
	f := newFirstPoll()
	f.Observe(false)
	settled := time.Duration(float64(DefaultFirstPoll) * math.Cbrt(2))
	require.InDelta(t, float64(settled), float64(f.Pause()), float64(time.Microsecond), "a first miss: a small step")
	f.Observe(true)
	hit := time.Duration(float64(settled) * firstPollShrink)
	assert.InDelta(t, float64(hit), float64(f.Pause()), float64(time.Microsecond), "a hit after a miss: the small shrink")
	f.Observe(false)
	assert.InDelta(t, float64(hit)*math.Cbrt(2), float64(f.Pause()), float64(time.Microsecond), "a miss after a hit: a small step")
	f.Observe(false)
	assert.InDelta(t, float64(hit)*math.Cbrt(2)*2, float64(f.Pause()), float64(time.Microsecond), "a second miss in a row: doubled")
	f.Observe(true)
	f.Observe(false)
	assert.InDelta(t, float64(hit)*math.Cbrt(2)*2*firstPollShrink*math.Cbrt(2), float64(f.Pause()), float64(time.Microsecond), "a hit ends the streak")

	m := 1 - FirstPollTarget
	drift := FirstPollTarget*math.Log(firstPollShrink) + m*((1-m)*math.Log(math.Cbrt(2))+m*math.Log(2))
	assert.InDelta(t, 0, drift, 1e-12, "no drift at the target share of hits")
}

// Against a CA two hundred times slower than the first pause (5 ms to a
// second, first use against Let's Encrypt), the pause gets there in about
// nine first looks, as by doubling: the small step is for a pause near
// its quantile, not for finding it.
func TestFirstPollFindsASlowCAQuickly(t *testing.T) {
	f := newFirstPoll()
	looks := 0
	for f.Pause() < time.Second {
		f.Observe(false)
		looks++
	}
	assert.LessOrEqual(t, looks, 9)
}

// Against a CA ten times faster than the first pause (5 ms to one that
// answers within half a millisecond: Pebble, a CA on the same network),
// the pause halves on each hit until the first look that misses, and gets
// there in four looks, not in the 29 of the small shrink: a serial
// issuance pays each pause in full. After that miss a hit is the small
// step again.
func TestFirstPollFindsAFastCAQuickly(t *testing.T) {
	f := newFirstPoll()
	looks := 0
	for f.Pause() > MinFirstPoll {
		f.Observe(true)
		looks++
	}
	assert.LessOrEqual(t, looks, 4)

	f = newFirstPoll()
	f.Observe(true)
	require.Equal(t, DefaultFirstPoll/2, f.Pause(), "a hit before any miss halves the pause")
	f.Observe(false)
	missed := f.Pause()
	f.Observe(true)
	assert.InDelta(t, float64(missed)*firstPollShrink, float64(f.Pause()), float64(time.Microsecond), "after a miss, a hit is the small step")
	f.Observe(true)
	f.Observe(true)
	assert.InDelta(t, float64(missed)*math.Pow(firstPollShrink, 3), float64(f.Pause()), float64(time.Microsecond), "the search does not come back with hits in a row")
}

// Looks in flight together, all scheduled at the first pause before any
// was counted, halve it once, not once each: the others did not test the
// half, and take the small step (until the pause is under half of theirs).
func TestFirstPollSearchStepsOnceForLooksInFlight(t *testing.T) {
	f := newFirstPoll()
	for range 200 {
		f.ObserveAfter(DefaultFirstPoll, true)
	}
	assert.InDelta(t, float64(DefaultFirstPoll/2)*firstPollShrink, float64(f.Pause()), float64(time.Microsecond),
		"the first halved it, the next took the small step, the rest were no sample")
}

// A hit of a look scheduled longer than the current pause (but within
// twice it, so counted) tested that longer pause, not the current one: it
// takes the small step, not the halving, even before any miss. One
// scheduled shorter tested less than the current pause, and halves it.
func TestFirstPollSearchHalvesOnlyOnLooksAtThePauseOrSooner(t *testing.T) {
	f := newFirstPoll()
	f.Observe(true)
	require.Equal(t, DefaultFirstPoll/2, f.Pause())
	f.ObserveAfter(DefaultFirstPoll*4/5, true)
	assert.InDelta(t, float64(DefaultFirstPoll/2)*firstPollShrink, float64(f.Pause()), float64(time.Microsecond),
		"a hit after 4 ms, over the 2.5 ms pause: the small step")
	p := f.Pause()
	f.ObserveAfter(p/2, true)
	assert.Equal(t, p/2, f.Pause(), "a hit after half the pause: halved")
}

// The CA's Retry-After wins over a learned pause, long or short.
func TestRetryAfterWinsOverLearnedPause(t *testing.T) {
	f := newFirstPoll()
	for range 20 {
		f.Observe(false)
	}
	require.Equal(t, MaxFirstPoll, f.Pause())
	p := Poll{First: f.Pause(), Max: DefaultMaxPoll}
	assert.Equal(t, 2*time.Millisecond, p.PauseSince(0, 2*time.Millisecond))
	assert.Equal(t, 2*time.Millisecond, p.Pause(1, 2*time.Millisecond))
	for range 200 {
		f.Observe(true)
	}
	p = Poll{First: f.Pause(), Max: DefaultMaxPoll}
	assert.Equal(t, 3*time.Second, p.PauseSince(0, 3*time.Second))
	assert.Equal(t, MinFirstPoll, p.PauseSince(0, 0), "without one the learned pause")
}

// Only the first look after a pause of the learner's counts: the second
// comes at least twice as late, a look without a pause (the CA's answer
// had the verdict) is no sample, nor one after the CA's Retry-After.
func TestIsFirstLook(t *testing.T) {
	ms := time.Millisecond
	f := newFirstPoll() // 5ms
	assert.True(t, f.IsFirstLook(5*ms, 5*ms))
	assert.True(t, f.IsFirstLook(9*ms, 5*ms), "a first look a little late")
	assert.True(t, f.IsFirstLook(3*ms, 3*ms), "scheduled before the pause shrank")
	assert.False(t, f.IsFirstLook(10*ms, 5*ms), "the second look")
	assert.False(t, f.IsFirstLook(30*ms, 20*ms), "the second look of one scheduled after a pause grown since")
	assert.False(t, f.IsFirstLook(0, 0), "at once after the accept")
	assert.False(t, f.IsFirstLook(time.Second, time.Second), "after a Retry-After")
}

// Concurrent observers keep the pause within its bounds, and lose no
// update to another (every step is a compare-and-swap).
func TestFirstPollConcurrent(t *testing.T) {
	f := newFirstPoll()
	for range 20 {
		f.Observe(false)
	}
	require.Equal(t, MaxFirstPoll, f.Pause())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				f.Observe(true)
				p := f.Pause()
				assert.True(t, p >= MinFirstPoll && p <= MaxFirstPoll)
			}
		}()
	}
	wg.Wait()
	want := float64(MaxFirstPoll) * math.Pow(firstPollShrink, 16)
	assert.InDelta(t, want, float64(f.Pause()), float64(time.Microsecond), "all 16 hits counted")
}

// One learner per CA and kind, the same one every time it is asked for,
// and a bounded number of them.
func TestFirstPollsPerCA(t *testing.T) {
	var p FirstPolls
	a := p.For("https://ca.example/dir", "http-01")
	assert.Same(t, a, p.For("https://ca.example/dir", "http-01"))
	assert.NotSame(t, a, p.For("https://ca.example/dir", "dns-01"), "per challenge type")
	assert.NotSame(t, a, p.For("https://other.example/dir", "http-01"), "per CA")
	for i := range 3 * maxFirstPolls {
		p.For(fmt.Sprintf("https://ca%d.example/dir", i), "order")
	}
	assert.Len(t, p.m, maxFirstPolls)
}

// Asking for the learner, reading it and telling it a look's outcome
// allocate nothing: they run on every poll.
func TestFirstPollAllocatesNothing(t *testing.T) {
	var p FirstPolls
	dir, kind := "https://ca.example/dir", "http-01"
	p.For(dir, kind)
	allocs := testing.AllocsPerRun(100, func() {
		f := p.For(dir, kind)
		_ = f.IsFirstLook(f.Pause(), f.Pause())
		f.Observe(true)
	})
	assert.Zero(t, allocs)
}

// Looks scheduled together (authorizations in flight at once) step the
// pause about once, not once each: a CA that slows down under 64 of them
// moves the pause a few steps, not to MaxFirstPoll; one that speeds up,
// a few steps down, not to MinFirstPoll.
func TestFirstPollLooksInFlightTogether(t *testing.T) {
	f := newFirstPoll()
	scheduled := f.Pause()
	for range 64 {
		f.ObserveAfter(scheduled, false)
	}
	assert.LessOrEqual(t, f.Pause(), 4*scheduled, "64 misses of looks scheduled at %v", scheduled)
	assert.Greater(t, f.Pause(), scheduled, "a miss at the current pause counts")

	f = newFirstPoll()
	for range 64 {
		f.ObserveAfter(scheduled, true)
	}
	assert.GreaterOrEqual(t, f.Pause(), scheduled/4, "64 hits of looks scheduled at %v", scheduled)
	assert.Less(t, f.Pause(), scheduled, "a hit at the current pause counts")
}

// A kind asked for with its own start and target starts there and
// settles at that share of hits; asking again, even with others, returns
// the same learner.
func TestFirstPollsForStarting(t *testing.T) {
	var p FirstPolls
	f := p.ForStarting("https://ca.example/dir", "after", MinFirstPoll, 0.95)
	assert.Equal(t, MinFirstPoll, f.Pause())
	assert.Same(t, f, p.ForStarting("https://ca.example/dir", "after", time.Second, 0.5))
	r := rand.New(rand.NewPCG(3, 4))
	rate := simulate(f, 40000, func() time.Duration {
		return time.Duration(float64(time.Millisecond) * math.Exp(0.5*r.NormFloat64()))
	})
	assert.InDelta(t, 0.95, rate, 0.02, "share of first looks that found the verdict")
}

// Once the pause has been found (a hit right after a miss), looks in
// flight together, all scheduled at one pause, step it once whichever
// way they went: the first counts, the others tested a pause it has left.
// Before, the second of four misses at a pause just too short doubled
// the first's small step (a miss after a miss) and every hit of four
// shrank it, so with four accepts in flight against a CA 20 ms away the
// pause swung between just too short and twice what the CA needs.
func TestFirstPollFoundStepsOncePerLooksInFlight(t *testing.T) {
	f := newFirstPoll()
	f.Observe(false)
	f.Observe(true) // found
	p := f.Pause()
	for range 4 {
		f.ObserveAfter(p, false)
	}
	grown := f.Pause()
	assert.InDelta(t, float64(p)*math.Cbrt(2), float64(grown), float64(time.Microsecond), "four misses at one pause: one small step")
	for range 4 {
		f.ObserveAfter(grown, true)
	}
	assert.InDelta(t, float64(grown)*firstPollShrink, float64(f.Pause()), float64(time.Microsecond), "four hits at one pause: one shrink")
	f.ObserveAfter(f.Pause(), false)
	f.ObserveAfter(f.Pause(), false)
	assert.InDelta(t, float64(grown)*firstPollShrink*math.Cbrt(2)*2, float64(f.Pause()), float64(time.Microsecond),
		"a miss at the current pause after a miss still doubles it")
	q := f.Pause()
	f.ObserveAfter(q, false)
	f.ObserveAfter(q, false)
	assert.InDelta(t, float64(q)*2, float64(f.Pause()), float64(time.Microsecond), "still found after the rush: two misses at one pause, one step")
}

// Until the pause is found, looks in flight together may step it more
// than once (TestFirstPollLooksInFlightTogether bounds how far): at first
// use against a CA far slower than DefaultFirstPoll, the misses of the
// first looks in flight take it up in one go instead of one step per
// round of looks, each round costing a look per authorization in flight.
func TestFirstPollSearchCountsLooksInFlight(t *testing.T) {
	f := newFirstPoll()
	p := f.Pause()
	for range 4 {
		f.ObserveAfter(p, false)
	}
	assert.InDelta(t, float64(p)*math.Cbrt(2)*2, float64(f.Pause()), float64(time.Microsecond), "a small step, then a miss after a miss")
}
