package challenge

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/solver"
)

// maxFetchWait bounds how long an accept's visit waits for the CA to fetch
// the HTTP-01 answer before it ends: the wait holds the visit's worker and
// the account's slot, as awaitIssued's pauses do after a finalize, so it
// is only worth it against a CA that validates within milliseconds (a
// blind first pause no longer than this). A slower one is looked at after
// the learned pause, as before. It is also how long the first fetch is
// waited for, however short the blind pause: until the CA fetched, a look
// can only find "pending", and a CA that shares two cores with its client
// (or is busy) often fetches a few milliseconds after that pause.
//
// Only once the CA is known to fetch here (a verdict followed a fetch
// this process served) is the first fetch waited for this long: at a CA
// not known to, the wait ends with the blind pause, which the look would
// wait for anyway, so a CA that never fetches here (Pebble's always-valid
// mode, a load balancer) costs no latency while it is learned.
//
// Held in a variable only so that tests can make the bound long enough
// that a loaded machine cannot reach it; nothing else sets it. Atomic, as
// a test's cleanup may restore it while another test's reconciler reads.
func maxFetchWait() time.Duration { return time.Duration(maxFetchWaitNS.Load()) }

var maxFetchWaitNS = func() *atomic.Int64 {
	var v atomic.Int64
	v.Store(int64(20 * time.Millisecond))
	return &v
}()

// staleWatch is how long a fetch watch may wait for its verdict or its
// challenge's cleanup: a Challenge deleted from the Store by hand (not
// through its cleanup) never ends its watch, so watches this old are
// dropped, one sweep in sweepEvery watches. No accept waits for a verdict
// this long (the CA's validation takes seconds at most; a Challenge that
// waits longer is polled as before, only without the fetch count).
const (
	staleWatch = 10 * time.Minute
	sweepEvery = 1024
)

// fetchedKind is the learned pause's kind for the look that follows the
// CA's fetch of an HTTP-01 answer (FirstPolls): how long after its latest
// fetch a CA has the verdict ready (Pebble fetches from three places
// within a millisecond and decides at once; a CA validating from more
// perspectives spreads its fetches further).
const fetchedKind = string(solver.HTTP01) + " fetched"

// fetchedTarget is the share of looks after the CA's fetch meant to find
// the verdict. Higher than the blind first look's: this pause is about a
// millisecond, so a longer one costs little, while a miss costs a look and
// a pause as long again as it has been since the accept.
const fetchedTarget = 0.95

// unseenBeforeSkip waits in a row that saw no fetch stop the waiting: the
// CA's fetches reach another replica (a load balancer) or another server,
// or the CA does not validate at all (Pebble's always-valid mode), and
// each wait would hold a worker and the account's slot for maxFetchWait
// for nothing. Accepts that do not wait still count their fetches until
// the verdict (passively, at no cost to the visit), and one seen brings
// the waits back.
const unseenBeforeSkip = 3

// Fetches tells an accept's visit when this process's HTTP-01 handler
// served the answer of the challenge it just accepted: the CA is
// validating, and its verdict follows within about a millisecond, where
// the blind first pause (FirstPolls) has to wait for the CA's slow tail.
// The look at the authorization then comes a learned moment after the
// CA's latest fetch instead. A fetch that reaches another replica is not
// seen here, and the blind pause stands. Safe for concurrent use; the
// zero value is ready.
type Fetches struct {
	m sync.Map // token → *fetchWatch
	// perCA holds, per CA (directory URL), what its fetches before the
	// latest verdict read after a kept watch taught (caFetches): how many
	// it makes, and whether they came too late to be waited for.
	perCA sync.Map // CA → *caFetches
	// looks holds, per token, the pause after the CA's fetch that the
	// next look at the authorization follows: that look is a sample of
	// the fetched learner, not of the blind one. A negative pause marks a
	// look that teaches neither (the wait did not see as many fetches as
	// the CA makes, or did not know how many yet).
	looks sync.Map // token → fetchLook
	// unseen counts the latest waits in a row that saw no fetch (up to
	// unseenBeforeSkip).
	unseen atomic.Uint32
	// watches counts the watches started, for the sweep of stale ones.
	watches atomic.Uint32
}

// worthWaiting reports whether an accept's visit should wait for the CA's
// fetch: not once unseenBeforeSkip waits in a row saw none, until a fetch
// is seen again. A periodic probing wait would cost maxFetchWait of a
// worker and the account's slot each time the CA fetches elsewhere; the
// passive count (verdict) notices a fetch for free.
func (f *Fetches) worthWaiting() bool {
	return f.unseen.Load() < unseenBeforeSkip
}

// waited records whether a wait saw the CA's fetch.
func (f *Fetches) waited(fetched bool) {
	if fetched {
		f.unseen.Store(0)
	} else if f.unseen.Load() < unseenBeforeSkip {
		f.unseen.Add(1)
	}
}

// fetchWatch is an accept's record of the fetches of its answer: how
// many (fetches that come together send one signal, so the count is not
// the signals') and a signal that one came. kept is set when a wait saw a
// fetch, or when the accept did not wait at all: the watch then goes on
// counting until the verdict is read (verdict) or the challenge cleaned
// up.
type fetchWatch struct {
	n     atomic.Int32
	c     chan struct{}
	kept  atomic.Bool
	since time.Time // wall clock, as the fetches: for the sweep (staleWatch)
	// answered is when the accept was answered, last when the latest
	// fetch came (wall clock, Unix nanoseconds; 0: not yet): how late
	// after the answer the CA fetched, for caFetches.late.
	answered, last atomic.Int64
}

// fetchLook is a pending look after the CA's fetch: its pause, and when
// it was scheduled (wall clock, for the sweep, as fetchWatch.since).
type fetchLook struct {
	pause time.Duration
	since time.Time
}

// Served records that the answer of token was served, waking an accept
// waiting for it. Tokens nobody waits for cost one map lookup.
func (f *Fetches) Served(token string) {
	if f == nil {
		return
	}
	if w, ok := f.m.Load(token); ok {
		w := w.(*fetchWatch)
		w.last.Store(time.Now().UnixNano()) // wall clock: the CA fetches in real time
		w.n.Add(1)
		select {
		case w.c <- struct{}{}:
		default: // one pending signal says enough
		}
	}
}

// watch starts recording fetches of token, before the accept is sent (a
// CA may fetch before it answers); stop ends it, unless the wait saw a
// fetch (kept).
func (f *Fetches) watch(token string) (fetched *fetchWatch, stop func()) {
	// Wall clock, as the fetches it watches: since only ages it for the sweep.
	w := &fetchWatch{c: make(chan struct{}, 1), since: time.Now()}
	if f.watches.Add(1)%sweepEvery == 0 {
		f.sweep(w.since.Add(-staleWatch))
	}
	f.m.Store(token, w)
	return w, func() {
		if !w.kept.Load() {
			f.m.CompareAndDelete(token, w)
		}
	}
}

// sweep drops the watches started before cutoff, and the looks scheduled
// before it: a Challenge deleted by hand between its accept's wait and
// the look that wait scheduled never looks, nor cleans up (forget).
func (f *Fetches) sweep(cutoff time.Time) {
	f.m.Range(func(token, w any) bool {
		if w.(*fetchWatch).since.Before(cutoff) {
			f.m.CompareAndDelete(token, w)
		}
		return true
	})
	f.looks.Range(func(token, l any) bool {
		if l.(fetchLook).since.Before(cutoff) {
			f.looks.CompareAndDelete(token, l)
		}
		return true
	})
}

// lookAfter records that the next look at token's authorization follows
// the CA's fetch by pause (negative: it teaches nothing).
func (f *Fetches) lookAfter(token string, pause time.Duration) {
	f.looks.Store(token, fetchLook{pause: pause, since: time.Now()}) // wall clock: ages it for the sweep only
}

// verdict ends the kept watch of token, if any, learning from it how
// many fetches ca makes before its verdict. A watch kept by an accept that
// did not wait and saw no fetch teaches nothing; one that saw a fetch
// means fetches reach this process again, so accepts wait again.
func (f *Fetches) verdict(ca, token string) {
	w, ok := f.m.Load(token)
	if !ok || !w.(*fetchWatch).kept.Load() || !f.m.CompareAndDelete(token, w) {
		return
	}
	seen := w.(*fetchWatch).n.Load()
	if seen == 0 {
		return
	}
	f.unseen.Store(0)
	f.of(ca).learn(w.(*fetchWatch))
}

// forget ends token's watch and pending look, if any: the challenge is
// cleaned up.
func (f *Fetches) forget(token string) {
	f.looks.Delete(token)
	f.m.Delete(token)
}

// afterFetch waits, on the wall clock and for at most bound in all, for the CA's first fetch on w, then for want fetches (the CA's
// other perspectives), and then until no other fetch came for the learned
// pause fp. It reports whether the CA fetched, the pause, and whether the
// wait saw want fetches (want > 0). Before want fetches came no pause ends
// the wait:
// the CA decides after its last, and a look between them finds the
// challenge pending. The bound holds for fetches that keep coming too:
// they are not the CA's alone.
func afterFetch(ctx context.Context, w *fetchWatch, want int32, bound time.Duration, fp *acmeproto.FirstPoll) (fetched bool, pause time.Duration, all bool) {
	deadline := time.Now().Add(bound) // wall clock: the CA fetches in real time, whatever the Manager's Clock
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case <-w.c:
	case <-t.C:
		return false, 0, false
	case <-ctx.Done():
		return false, 0, false
	}
	pause = fp.Pause()
	for {
		wait := time.Until(deadline)
		if w.n.Load() >= want {
			wait = min(pause, wait)
		}
		t.Reset(wait)
		select {
		case <-w.c:
			continue
		case <-t.C:
		case <-ctx.Done():
		}
		return true, pause, want > 0 && w.n.Load() >= want
	}
}

// watchFetches starts recording the CA's fetches of ch's HTTP-01 answer,
// when the Manager serves it (Options.Fetches); fetched is nil otherwise.
func (r *Reconciler) watchFetches(ch *Challenge) (fetched *fetchWatch, stop func()) {
	if r.opts.Fetches == nil || ch.Spec.Type != solver.HTTP01 || ch.Spec.Token == "" {
		return nil, func() {}
	}
	return r.opts.Fetches.watch(ch.Spec.Token)
}

// awaitFetch waits, after an accept answered "processing" and when the
// blind first pause d is short (maxFetchWait), for the CA to fetch the
// answer as often as it did for the latest accept, and then for the
// learned pause after its latest fetch. It reports whether the CA
// fetched; then the authorization is looked at now, in the next visit.
// Otherwise d counts from the accept's answer as before (and has passed
// already when the wait timed out). At a CA known to fetch here the first
// fetch is waited for up to maxFetchWait, not d: a wait ending just before
// a late fetch buys a look that finds "pending" (a request to the CA and
// a longer pause for nothing) and counts as one in vain.
func (r *Reconciler) awaitFetch(ctx context.Context, o outcome, fetched *fetchWatch, d time.Duration) bool {
	if fetched == nil || d > maxFetchWait() || o.ca == "" || r.opts.FirstPolls == nil {
		return false
	}
	// Counted until the verdict, whether or not this visit waits: a
	// fetch that comes after the wait (or without one) teaches that the
	// CA fetches here, how often, and how soon.
	fetched.answered.Store(time.Now().UnixNano()) // wall clock, as the fetches
	fetched.kept.Store(true)
	ca := r.opts.Fetches.of(o.ca)
	if !r.opts.Fetches.worthWaiting() || ca.late.Load() {
		// A CA whose fetches come later than any wait may last (one a
		// network away: its fetch takes round trips) is looked at after
		// the blind pause, without holding a worker and the account's
		// slot for a wait that ends before its fetch.
		return false
	}
	want, bound := ca.want.Load(), d
	if want > 0 {
		bound = maxFetchWait()
	}
	fp := r.opts.FirstPolls.ForStarting(o.ca, fetchedKind, acmeproto.MinFirstPoll, fetchedTarget)
	ok, pause, all := afterFetch(ctx, fetched, want, bound, fp)
	if ctx.Err() == nil {
		r.opts.Fetches.waited(ok)
	}
	if !ok {
		return false
	}
	if !all {
		// A look after fewer fetches than the CA makes says nothing of
		// the pause after its last: the misses of the first accepts,
		// before the count was learned, would otherwise leave the pause
		// at several milliseconds for a hundred looks.
		pause = -1
	}
	r.opts.Fetches.lookAfter(o.ch.Spec.Token, pause)
	o.now = r.deps.Clock.Now()
	o.notBefore(0)
	return true
}

// learnFetched tells the fetched learner what the look after the CA's
// fetch found, and reports whether this look was one (the blind learner
// then learns nothing from it).
func (r *Reconciler) learnFetched(o outcome, final bool) bool {
	if r.opts.Fetches == nil || r.opts.FirstPolls == nil || o.ca == "" {
		return false
	}
	if final {
		r.opts.Fetches.verdict(o.ca, o.ch.Spec.Token)
	}
	l, ok := r.opts.Fetches.looks.LoadAndDelete(o.ch.Spec.Token)
	if ok && l.(fetchLook).pause >= 0 {
		r.opts.FirstPolls.ForStarting(o.ca, fetchedKind, acmeproto.MinFirstPoll, fetchedTarget).ObserveAfter(l.(fetchLook).pause, final)
	}
	return ok
}
