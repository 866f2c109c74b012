package certflow

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/meta"
)

// atOnceFreeRounds is how many rounds of dueAtOnceVisits in a row an object
// may end still due at once before its next look waits a backoff. An
// issuance asks to be looked at again at once a few steps in a row; a
// reconciler that keeps asking (a child its plan creates is found stored
// at every visit: reconcile.Outcome.Requeue) would otherwise spin, taking
// its turn with everything else for ever. The first round that waits is
// logged as a warning. Writes between rounds do not start the count again:
// a reconciler that writes at every visit and still asks again at once is
// the costliest spin, and an issuance asks at once for far fewer visits.
const atOnceFreeRounds = 8

// atOnceBackoff is the wait after the nth round past atOnceFreeRounds
// (n >= 1): 100 ms, doubling, at most 5 minutes, as after failures.
func atOnceBackoff(n int) time.Duration {
	return min(100*time.Millisecond<<min(n-1, 12), 5*time.Minute)
}

// atOnceRounds counts, per object, the rounds in a row that ended still
// due at once. Objects are counted only while they keep asking, so the
// map stays empty in the steady state and reset costs an atomic load.
type atOnceRounds struct {
	counted atomic.Int64 // len(n)
	mu      sync.Mutex
	n       map[meta.Ref]int
}

// inc counts one more round for ref and returns the count.
func (a *atOnceRounds) inc(ref meta.Ref) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == nil {
		a.n = map[meta.Ref]int{}
	}
	if _, ok := a.n[ref]; !ok {
		a.counted.Add(1)
	}
	a.n[ref]++
	return a.n[ref]
}

// reset forgets ref's rounds: it asked for a later look, or none.
func (a *atOnceRounds) reset(ref meta.Ref) {
	if a.counted.Load() == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.n[ref]; ok {
		delete(a.n, ref)
		a.counted.Add(-1)
	}
}
