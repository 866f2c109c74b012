package certflow

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// modelQueue is the work queue's contract without its memory work: no
// pruning of decided, no shrinking, nothing made anew when it drains. For a
// Store whose versions are its watch's revisions, pruning what the watch
// has passed forgets only what no later call can ask about, so the queue
// must answer every call exactly as this model does.
type modelQueue struct {
	items                     []meta.Ref
	queued, active, dirty     map[meta.Ref]bool
	decided, changed, written map[meta.Ref]uint64
}

func newModelQueue() *modelQueue {
	return &modelQueue{
		queued: map[meta.Ref]bool{}, active: map[meta.Ref]bool{}, dirty: map[meta.Ref]bool{},
		decided: map[meta.Ref]uint64{}, changed: map[meta.Ref]uint64{}, written: map[meta.Ref]uint64{},
	}
}

func (m *modelQueue) queue(ref meta.Ref) {
	m.queued[ref] = true
	m.items = append(m.items, ref)
}

func (m *modelQueue) add(ref meta.Ref) {
	switch {
	case m.active[ref]:
		m.dirty[ref] = true
	case !m.queued[ref]:
		m.queue(ref)
	}
}

func (m *modelQueue) change(ref meta.Ref, v uint64) {
	switch {
	case m.decided[ref] >= v:
	case m.active[ref]:
		m.changed[ref] = max(m.changed[ref], v)
	case !m.queued[ref]:
		m.queue(ref)
	}
}

func (m *modelQueue) addChange(ref meta.Ref, v uint64) {
	if w, ok := m.written[ref]; ok && w >= v {
		if w == v {
			delete(m.written, ref)
		}
		return
	}
	m.change(ref, v)
}

func (m *modelQueue) addWritten(ref meta.Ref, v uint64) {
	m.change(ref, v)
	m.written[ref] = max(m.written[ref], v)
}

func (m *modelQueue) get() (meta.Ref, bool) {
	if len(m.items) == 0 {
		return meta.Ref{}, false
	}
	ref := m.items[0]
	m.items = m.items[1:]
	delete(m.queued, ref)
	m.active[ref] = true
	return ref, true
}

func (m *modelQueue) done(ref meta.Ref) {
	delete(m.active, ref)
	c, ok := m.changed[ref]
	delete(m.changed, ref)
	if m.dirty[ref] || (ok && m.decided[ref] < c) {
		delete(m.dirty, ref)
		m.queue(ref)
	}
}

// modelVisit is a reconcile in flight: the version it read (0: gone), and
// whether its decision was executed and how.
type modelVisit struct {
	read             uint64
	decided, failed  bool
	coveredByVersion uint64
}

// TestWorkQueue_PruningMatchesModel drives the queue and modelQueue with
// the same random history of a Store (writes and deletes by others, each
// change delivered by the watch in revision order and then told by Seen,
// as Manager.watch does), of visits (reading the object, deciding with or
// without a write of it, of a child queued by its writer, or failing and
// retried) and of prunes at random moments: every reference the queue
// hands out, and its depth after every step, must be the model's. Once all
// is delivered and the queue drained, every object's last version was
// decided on by some visit: no change lost its visit. The larger size
// queues past shrinkAfter, so the queue also shrinks as it drains.
func TestWorkQueue_PruningMatchesModel(t *testing.T) {
	for _, size := range []struct{ objects, steps int }{{24, 4000}, {6000, 60000}} {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%d-objects/seed-%d", size.objects, seed), func(t *testing.T) {
				t.Parallel() // each its own queue, model and generator
				runPruningModel(t, rand.New(rand.NewPCG(seed, 11)), size.objects, size.steps)
			})
		}
	}
}

type modelEvent struct {
	ref     meta.Ref
	rev     uint64
	deleted bool
}

func runPruningModel(t *testing.T, rnd *rand.Rand, objects, steps int) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Get never blocks: the model says when something is queued
	q, m := newWorkQueue(), newModelQueue()
	refs := make([]meta.Ref, objects)
	for i := range refs {
		refs[i] = ref(fmt.Sprintf("o%d", i))
	}
	var (
		rev      uint64
		current  = map[meta.Ref]uint64{} // the Store: version of each object
		pending  []modelEvent            // written, not delivered yet
		visits   = map[meta.Ref]*modelVisit{}
		covered  = map[meta.Ref]uint64{} // the latest version a decision saw
		writeFor = map[meta.Ref]int{}    // a visit writes an object at most twice
	)
	write := func(r meta.Ref) uint64 {
		rev++
		current[r] = rev
		pending = append(pending, modelEvent{ref: r, rev: rev})
		return rev
	}
	check := func(step string) {
		t.Helper()
		// Plain comparisons at every step: see model_helpers_test.go.
		if waiting, inFlight := q.depth(); waiting != len(m.items) || inFlight != len(m.active) {
			t.Fatalf("depth after %s: %d waiting and %d in flight, want %d and %d", step, waiting, inFlight, len(m.items), len(m.active))
		}
	}
	deliver := func() {
		ev := pending[0]
		pending = pending[1:]
		rv := strconv.FormatUint(ev.rev, 10)
		if ev.deleted {
			q.Forget(ev.ref)
			delete(m.decided, ev.ref)
			delete(m.written, ev.ref)
			q.Add(ev.ref) // a reconciled kind: the visit finds it gone
			m.add(ev.ref)
		} else {
			q.AddChange(ev.ref, rv)
			m.addChange(ev.ref, ev.rev)
		}
		q.Seen(ev.rev)
		check("delivering " + rv)
	}
	get := func() {
		want, ok := m.get()
		got, gotOK := q.Get(ctx)
		if gotOK != ok || got != want {
			t.Fatalf("Get handed out %s (%v), want %s (%v)", got, gotOK, want, ok)
		}
		visits[got] = &modelVisit{read: current[got]}
		check("get")
	}
	decide := func(r meta.Ref, v *modelVisit) {
		v.decided = true
		switch {
		case v.read == 0: // gone: nothing decided on
		case rnd.IntN(8) == 0:
			v.failed = true
		case writeFor[r] < 2 && rnd.IntN(3) == 0:
			if current[r] != v.read {
				v.failed = true // a conflict: retried after its backoff
				return
			}
			writeFor[r]++
			v.coveredByVersion = write(r)
			if rnd.IntN(2) == 0 {
				// It creates or updates another object and queues it at once.
				child := refs[rnd.IntN(len(refs))]
				if _, busy := visits[child]; !busy && child != r {
					w := write(child)
					q.AddWritten(child, strconv.FormatUint(w, 10))
					m.addWritten(child, w)
				}
			}
		default:
			v.coveredByVersion = v.read
		}
		if v.coveredByVersion != 0 {
			covered[r] = max(covered[r], v.coveredByVersion)
			q.Decided(r, strconv.FormatUint(v.coveredByVersion, 10))
			m.decided[r] = max(m.decided[r], v.coveredByVersion)
		}
		check("deciding")
	}
	done := func(r meta.Ref, v *modelVisit) {
		delete(visits, r)
		q.Done(r)
		m.done(r)
		if v.failed {
			q.Add(r) // the retry's timer
			m.add(r)
		}
		check("done")
	}
	anyVisit := func() (meta.Ref, *modelVisit) {
		keys := make([]meta.Ref, 0, len(visits))
		for r := range visits {
			keys = append(keys, r)
		}
		slices.SortFunc(keys, func(a, b meta.Ref) int { return cmpRef(a, b) })
		r := keys[rnd.IntN(len(keys))]
		return r, visits[r]
	}

	burst := objects > shrinkAfter
	if burst {
		for _, r := range refs { // applied at once, and watched
			write(r)
		}
		for len(pending) > 0 {
			deliver()
		}
	}
	for range steps {
		switch k := rnd.IntN(100); {
		case k < 8 && !burst:
			write(refs[rnd.IntN(len(refs))])
		case k < 10 && !burst:
			r := refs[rnd.IntN(len(refs))]
			if current[r] != 0 {
				rev++
				delete(current, r)
				pending = append(pending, modelEvent{ref: r, rev: rev, deleted: true})
			}
		case k < 40 && len(pending) > 0:
			deliver()
		case k < 60 && len(m.items) > 0 && len(visits) < 4:
			get()
		case k < 80 && len(visits) > 0:
			if r, v := anyVisit(); !v.decided {
				decide(r, v)
			} else {
				done(r, v)
			}
		case k < 85:
			q.mu.Lock()
			q.pruneDecidedLocked()
			q.mu.Unlock()
		}
	}
	// Everything delivered, every visit ended, until nothing is queued.
	for len(pending) > 0 || len(visits) > 0 || len(m.items) > 0 {
		switch {
		case len(visits) > 0:
			r, v := anyVisit()
			if !v.decided {
				decide(r, v)
			}
			done(r, v)
		case len(pending) > 0:
			deliver()
		default:
			get()
		}
	}
	require.Zero(t, q.Len(), "the queue drained with the model")
	for _, r := range refs {
		if v := current[r]; v != 0 {
			require.GreaterOrEqual(t, covered[r], v, "%s: its last version was never decided on", r)
		}
	}
}

func cmpRef(a, b meta.Ref) int {
	switch {
	case a.Name < b.Name:
		return -1
	case a.Name > b.Name:
		return 1
	}
	return 0
}
