package certflow

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestRefTable_AgreesWithAMap: interning and releasing references at
// random (so runs of colliding slots are cut and shifted back) finds
// exactly what a Go map holding the same would, ids stay stable while
// interned and freed ids are reused.
func TestRefTable_AgreesWithAMap(t *testing.T) {
	t.Parallel() // touches nothing shared: runs beside the other CPU-bound tests
	rng := rand.New(rand.NewPCG(1, 2))
	var tab refTable[int]
	want := map[meta.Ref]int32{}
	// Several kinds and namespaces, some with few members, so scopes come
	// and go too.
	kinds := []meta.Kind{meta.KindSecret, meta.KindCertificate, meta.KindEvent}
	// Made once, and compared plainly at every step: formatting them and
	// testify's cost per call, under the race detector, cost more than the
	// table's work.
	refs := make([]meta.Ref, 3000)
	for i := range refs {
		ns := fmt.Sprint("ns-", i%7)
		if i%97 == 0 {
			ns = fmt.Sprint("rare-", i)
		}
		refs[i] = meta.Ref{Kind: kinds[i%3], Namespace: ns, Name: fmt.Sprint("s-", i/3)}
	}
	ref := func(i int) meta.Ref { return refs[i] }
	for step := range 20000 {
		r := ref(rng.IntN(3000))
		if id, ok := want[r]; ok && rng.IntN(2) == 0 {
			tab.release(id)
			delete(want, r)
		} else {
			id, added := tab.intern(r)
			if added == ok {
				t.Fatalf("step %d: %s added %v, want %v", step, r, added, !ok)
			}
			if ok && id != want[r] {
				t.Fatalf("step %d: %s interned again as id %d, want its id %d", step, r, id, want[r])
			}
			want[r] = id
		}
		if step%1000 == 0 {
			require.Equal(t, len(want), tab.len())
			for i := range 3000 {
				id, ok := tab.lookup(ref(i))
				wid, wok := want[ref(i)]
				if ok != wok {
					t.Fatalf("step %d: %s found %v, want %v", step, ref(i), ok, wok)
				}
				if !ok {
					continue
				}
				if id != wid {
					t.Fatalf("step %d: %s found as id %d, want %d", step, ref(i), id, wid)
				}
				if got := tab.ref(id); got != ref(i) {
					t.Fatalf("step %d: id %d reads back as %s, want %s", step, id, got, ref(i))
				}
			}
		}
	}
	require.LessOrEqual(t, len(tab.entries), 3000, "freed ids are reused")
	for r, id := range want {
		tab.release(id)
		delete(want, r)
	}
	require.Zero(t, tab.len())
	require.Empty(t, tab.scopeIDs, "no scope outlives its last reference")
}

// TestTimerHeap_AgreesWithAMap: scheduling, rescheduling and cancelling at
// random, every reference keeps the last time it was given, and popping
// what is due at a time returns exactly the references due by then, in
// time order, and forgets them.
func TestTimerHeap_AgreesWithAMap(t *testing.T) {
	t.Parallel() // touches nothing shared: runs beside the other CPU-bound tests
	rng := rand.New(rand.NewPCG(3, 4))
	th := newTimerHeap()
	want := map[meta.Ref]time.Time{}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Made once, and compared plainly: formatting them and testify's cost
	// per call, under the race detector, cost more than the heap's work.
	refs := make([]meta.Ref, 1000)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: fmt.Sprint("c-", i)}
	}
	ref := func(i int) meta.Ref { return refs[i] }
	for round := range 50 {
		for range 400 {
			r := ref(rng.IntN(1000))
			if _, ok := want[r]; ok && rng.IntN(4) == 0 {
				th.Cancel(r)
				delete(want, r)
				continue
			}
			at := base.Add(time.Duration(rng.IntN(10000)) * time.Second)
			th.Schedule(r, at)
			want[r] = at
		}
		for i := range 1000 {
			at, ok := th.Scheduled(ref(i))
			wat, wok := want[ref(i)]
			if ok != wok || !at.Equal(wat) {
				t.Fatalf("round %d: %s scheduled %v at %v, want %v at %v", round, ref(i), ok, at, wok, wat)
			}
		}
		now := base.Add(time.Duration(rng.IntN(10000)) * time.Second)
		due, next := th.popDue(now)
		for i := 1; i < len(due); i++ {
			if want[due[i]].Before(want[due[i-1]]) {
				t.Fatalf("round %d: due out of time order: %s at %v after %s at %v", round, due[i], want[due[i]], due[i-1], want[due[i-1]])
			}
		}
		var wantDue []meta.Ref
		for r, at := range want {
			if !at.After(now) {
				wantDue = append(wantDue, r)
				delete(want, r)
			}
		}
		if !sameRefsInAnyOrder(wantDue, due) {
			t.Fatalf("round %d: due %v, want %v in any order", round, due, wantDue)
		}
		var earliest time.Time
		for _, at := range want {
			if earliest.IsZero() || at.Before(earliest) {
				earliest = at
			}
		}
		require.True(t, next.Equal(earliest), "round %d: next %v, want %v", round, next, earliest)
		require.Equal(t, len(want), th.refs.len())
		th.firing = false
	}
}
