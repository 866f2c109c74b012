package challenge

import (
	"sync/atomic"
	"time"
)

// caFetches is what one CA's fetches of the answers this process serves
// taught, at the latest verdict read after a kept watch (Fetches.verdict).
type caFetches struct {
	// want is how many fetches the CA had made (0 before any verdict): a
	// CA fetches from the same perspectives each time (Pebble from three,
	// a millisecond or more apart when busy), and its verdict follows the
	// last of them, not the first. Counted at the verdict rather than at
	// the end of the wait, so a wait that ended too early still teaches
	// how many to wait for. Per CA, as FirstPolls: a CA that fetches once
	// would otherwise wait out maxFetchWait for the fetches of another.
	want atomic.Int32
	// late is whether the last of those fetches came more than
	// maxFetchWait after the accept's answer: a CA a network away, whose
	// fetch takes round trips (a TCP handshake, the request), which a
	// wait bounded by maxFetchWait ends before. Waiting for it beyond the
	// blind pause would then only move the look from the pause the
	// learner chose to the end of that wait (too early for the fetch,
	// and not the pause the learner is told was tested), and hold a
	// worker and the account's slot meanwhile. A verdict whose fetches
	// came sooner brings the wait back.
	late atomic.Bool
}

// of returns the record of ca, creating it on first use. A Manager talks
// to a handful of CAs.
func (f *Fetches) of(ca string) *caFetches {
	if c, ok := f.perCA.Load(ca); ok {
		return c.(*caFetches)
	}
	c, _ := f.perCA.LoadOrStore(ca, &caFetches{})
	return c.(*caFetches)
}

// learn records what the kept watch w saw before the verdict: at least
// one fetch.
func (c *caFetches) learn(w *fetchWatch) {
	c.want.Store(w.n.Load())
	answered, last := w.answered.Load(), w.last.Load()
	c.late.Store(answered != 0 && time.Duration(last-answered) > maxFetchWait())
}
