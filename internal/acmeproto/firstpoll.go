package acmeproto

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds and steps of a learned first pause (FirstPoll).
const (
	// MinFirstPoll is the shortest first pause a FirstPoll learns: below
	// it the look is no earlier in practice (a timer, a queue and a round
	// trip take about as long) and only costs requests.
	MinFirstPoll = 500 * time.Microsecond
	// MaxFirstPoll is the longest: past it a CA that got slower for a while
	// is still looked at within a few seconds.
	MaxFirstPoll = 4 * time.Second
	// FirstPollTarget is the share of first looks meant to find the
	// resource moved on. The rest cost one more look each, at twice the
	// pause, and so on. Four in five, not nine in ten: a higher target
	// saves few looks but makes the answer wait for the CA's slow tail.
	// Simulated against CAs whose latency is lognormal (σ 0.5 and 0.9,
	// Pebble-like around 2–3 ms and Let's Encrypt-like around 1 s), with
	// the steps below: 1.21–1.25 looks per authorization, the verdict seen
	// 1–4% sooner than with three in four and steps ×2 and 2^(−1/3)
	// (1.25–1.31 looks); nine in ten costs 1.1 looks and 8–30% later.
	FirstPollTarget = 0.8
	// firstPollGrow is the factor applied after a first look that found
	// nothing, when the one before it found the resource moved on: a small
	// step, so that the pause stays near the quantile it tracks instead of
	// wandering about it (each doubling kept it up for several looks).
	firstPollGrow = 1.2599210498948732 // 2^(1/3)
	// firstPollRush is the factor after a miss that followed a miss: the
	// CA got slower, or this is its first use, and a pause from 5 ms to a
	// CA that takes a second is found in about nine looks, as by
	// doubling, not in twenty-three.
	firstPollRush = 2.0
	// firstPollFall is the factor after a hit while no counted look has
	// missed yet: the pause has never been below its quantile, so it is
	// searched for as the rush does upwards. From DefaultFirstPoll a CA
	// that answers within a millisecond is reached in four hits, not in
	// the 29 that firstPollShrink takes, each of them a pause milliseconds
	// too long that an authorization looked at alone (one issuance at a
	// time) waits in full. The first miss ends the search for good: the
	// small steps then hold the pause near its quantile.
	firstPollFall = 0.5
)

// A FirstPoll's word: the pause in nanoseconds shifted left by
// firstPollBits, and the bits below.
const (
	// firstPollMissed: the latest counted look missed.
	firstPollMissed = 1 << iota
	// firstPollSettled: a counted look has missed (the search is over).
	firstPollSettled
	// firstPollFound: a counted look has hit right after one that missed
	// (the pause has been above and below its quantile: the rush is over
	// too). From then on only a look at the current pause counts
	// (sameLook).
	firstPollFound
	firstPollBits = iota
)

// sameLook is how near the current pause a look's pause must be, once the
// pause is found (firstPollFound), for its outcome to count: the current
// pause itself, give or take the rounding of a pause stored as two
// instants, while every step (firstPollShrink, firstPollGrow,
// firstPollRush) moves it further. Looks in flight together, scheduled at
// one pause, then step it once, whichever way: before, each hit of four
// shrank it while a miss of the second grew it by twice the first's step
// (a miss after a miss), so the pause swung from just too short to twice
// what the CA needs (against a CA 20 ms away with four accepts in flight,
// 20 ms to 50 ms every dozen accepts), then walked down hit by hit.
const sameLook = 0.95

// firstPollShrink is the factor applied after a first look that found the
// resource moved on. Chosen with firstPollGrow and firstPollRush so that
// the pause stands still, on average, exactly when a share
// FirstPollTarget of first looks hit: with m = 1−target the share of
// misses and looks independent, a hit follows a miss with m·(1−m) of the
// chance, a miss a miss with m², so
// target·log2(1/shrink) = m·((1−m)·log2(grow) + m·log2(rush)).
var firstPollShrink = shrinkFor(FirstPollTarget)

// shrinkFor is the factor after a hit that holds the pause where a share
// target of first looks hit (see firstPollShrink).
func shrinkFor(target float64) float64 {
	m := 1 - target
	return math.Pow(2, -m*((1-m)*math.Log2(firstPollGrow)+m*math.Log2(firstPollRush))/target)
}

// FirstPoll learns the first pause before looking at an ACME resource that
// a request just set moving (an authorization after the accept, an order
// after finalize) from what the first looks found: after a look that found
// it moved on the pause shrinks a little (halves, until the first look
// that did not), after one that did not it grows by 2^(1/3), or doubles
// when the look before missed too, so it settles where about
// FirstPollTarget of the first looks find the answer (a stochastic
// quantile tracker: it needs no latency sample, only whether each first
// look came late enough, which is all a client polling a CA can see). It starts at DefaultFirstPoll and stays
// within [MinFirstPoll, MaxFirstPoll]. The CA's Retry-After is not its
// business: callers let it win before asking (Poll.PauseSince).
//
// It is safe for concurrent use and allocates nothing: one atomic word,
// the pause in nanoseconds shifted left by firstPollBits, with whether the
// latest counted look missed and whether any did in the bits below (a
// pause and its streak change together, by one compare-and-swap). The
// zero value is not usable; get one from FirstPolls.For.
type FirstPoll struct {
	word atomic.Int64
	// shrink is the factor after a hit, set once at creation: it fixes
	// the share of hits the pause settles at.
	shrink float64
}

func newFirstPoll() *FirstPoll { return newFirstPollAt(DefaultFirstPoll, FirstPollTarget) }

func newFirstPollAt(start time.Duration, target float64) *FirstPoll {
	f := &FirstPoll{shrink: shrinkFor(target)}
	f.word.Store(int64(min(max(start, MinFirstPoll), MaxFirstPoll)) << firstPollBits)
	return f
}

// Pause returns the current first pause.
func (f *FirstPoll) Pause() time.Duration { return time.Duration(f.word.Load() >> firstPollBits) }

// Observe records what a first look after the current pause found: hit
// when the resource had moved on (the authorization or order was final),
// not when it was still being worked on.
func (f *FirstPoll) Observe(hit bool) { f.ObserveAfter(0, hit) }

// ObserveAfter records what a first look found that followed a pause of
// scheduled (0: the current pause). A look scheduled far from the current
// pause says nothing about it, and is not counted: a miss after less than
// half of it, a hit after more than twice it; once the pause is found
// (firstPollFound), one not at the current pause (sameLook). Without that, looks that
// were all scheduled before the first of them was counted (authorizations
// or orders in flight together) would each step the pause again: 200 in
// flight when a CA slows from 1 ms to 20 ms would double it 200 times, to
// MaxFirstPoll, where each costs 4 s until some 30 hits bring it back.
// Before the first counted miss, a hit halves the pause only when scheduled
// was the current pause or shorter (it tested that pause); a hit of one
// scheduled longer takes the small step.
func (f *FirstPoll) ObserveAfter(scheduled time.Duration, hit bool) {
	for {
		w := f.word.Load()
		old, bits := w>>firstPollBits, w&(1<<firstPollBits-1)
		s := int64(scheduled)
		if s <= 0 {
			s = old
		}
		if (hit && s > 2*old) || (!hit && 2*s < old) {
			return
		}
		if bits&firstPollFound != 0 && (float64(s) < float64(old)*sameLook || float64(s)*sameLook > float64(old)) {
			return
		}
		factor, next := f.shrink, bits&^firstPollMissed
		switch {
		case !hit && bits&firstPollMissed != 0:
			factor, next = firstPollRush, bits|firstPollMissed|firstPollSettled
		case !hit:
			factor, next = firstPollGrow, bits|firstPollMissed|firstPollSettled
		case bits&firstPollMissed != 0:
			next |= firstPollFound
		case bits&firstPollSettled == 0 && s <= old:
			// Only a look at the current pause or sooner says the
			// current one is long enough: a look scheduled before the
			// last halving (in flight together) that hit takes the small
			// step, or looks in flight together would halve it below
			// what any of them tested.
			factor = firstPollFall
		}
		pause := int64(min(max(float64(old)*factor, float64(MinFirstPoll)), float64(MaxFirstPoll)))
		if nw := pause<<firstPollBits | next; nw == w || f.word.CompareAndSwap(w, nw) {
			return
		}
	}
}

// IsFirstLook reports whether a look elapsed after the request that set
// the resource moving is the first one after a pause of this learner's,
// for callers that keep no count of their looks but know the pause they
// scheduled before the first (scheduled). The first look comes at about
// scheduled and the second at least twice as late (the pauses double), so
// only a look earlier than twice scheduled counts; a first look that came
// later (a busy queue) says little about the pause and is not counted
// either. Nor is one that followed no pause (scheduled under MinFirstPoll:
// the CA's answer had the verdict already) or a pause that was not this
// learner's (scheduled over twice its pause: the CA's Retry-After).
func (f *FirstPoll) IsFirstLook(elapsed, scheduled time.Duration) bool {
	return scheduled >= MinFirstPoll && elapsed < 2*scheduled && scheduled <= 2*f.Pause()
}

// maxFirstPolls bounds a FirstPolls: one entry per CA and kind of
// resource, and a Manager talks to a handful of CAs. Past it an arbitrary
// entry is forgotten (learning it again takes a few looks).
const maxFirstPolls = 64

// FirstPolls holds one FirstPoll per CA (directory URL) and kind of
// resource (an order, or a challenge type's authorization: a DNS-01
// validation waits for DNS, HTTP-01 does not). The key is the CA rather
// than the account: how long a CA takes to validate or issue is the CA's,
// whichever account asks, so every account at one CA learns together and
// the number of entries is bounded by the CAs configured, not by the
// accounts. At most maxFirstPolls entries are kept. Safe for concurrent
// use; its zero value is ready.
type FirstPolls struct {
	mu sync.Mutex
	m  map[firstPollKey]*FirstPoll
}

type firstPollKey struct{ directory, kind string }

// For returns the FirstPoll of the CA at directory for kind, creating it
// (at DefaultFirstPoll) on first use.
func (p *FirstPolls) For(directory, kind string) *FirstPoll {
	return p.ForStarting(directory, kind, DefaultFirstPoll, FirstPollTarget)
}

// ForStarting is For with a kind whose pause starts at start (within
// [MinFirstPoll, MaxFirstPoll]) and settles where a share target (in
// (0, 1)) of first looks hit, both taken when the kind is first asked
// for: a short pause after an event that comes right before the answer,
// whose misses cost more than its length, say.
func (p *FirstPolls) ForStarting(directory, kind string, start time.Duration, target float64) *FirstPoll {
	k := firstPollKey{directory, kind}
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.m[k]; ok {
		return f
	}
	if p.m == nil {
		p.m = make(map[firstPollKey]*FirstPoll)
	}
	if len(p.m) >= maxFirstPolls {
		for old := range p.m {
			delete(p.m, old)
			break
		}
	}
	f := newFirstPollAt(start, target)
	p.m[k] = f
	return f
}
