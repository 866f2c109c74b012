package events

import (
	"hash/maphash"
	"sync"

	"github.com/certflow/certflow/meta"
)

// memoLimit bounds the per-object counts a memo keeps while no census is
// known; past it, it starts afresh (and the writer lists again what it
// forgot).
const memoLimit = 1 << 16

// memo is what a Writer remembers of its objects, to spare the Store a list
// after each create: how many Events each object holds. Forgetting costs a
// list, never an event. (Which Events the writer stored is what it tracks
// for expiry: Writer.knows.)
//
// The counts come from the census the sweep takes when Run starts (it
// lists every Event anyway), plus the creates since: with a census, an
// object absent from the counts holds no Event, so its first Event needs no
// list. Without one (a Writer that never ran, a sweep that could not list
// everything) an object's first Event lists its Events, as before. Listing
// an object's Events is O(all Events) on a Store without a label index (the
// file and etcd stores), so the census is what keeps writing n objects'
// first Events O(n) rather than O(n²).
type memo struct {
	mu   sync.Mutex
	seed maphash.Seed
	// counts are keyed by a hash of the object's Ref: 16 bytes an object
	// instead of 60, and a collision only over-counts (an early list).
	counts map[uint64]int32
	// census is set while counts hold every object that has Events.
	census bool
}

// created counts one more Event of obj and reports whether obj is known to
// hold at most limit; false means: list them.
func (m *memo) created(obj meta.Ref, limit int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := m.keyLocked(obj)
	n, ok := m.counts[k]
	if !ok && !m.census || int(n)+1 > limit {
		return false
	}
	m.counts[k] = n + 1
	return true
}

// counted records that obj holds n Events.
func (m *memo) counted(obj meta.Ref, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil || !m.census && len(m.counts) >= memoLimit {
		m.counts = map[uint64]int32{}
	}
	m.counts[m.keyLocked(obj)] = int32(n)
}

// takeCensus replaces the counts with those of every object holding
// Events, as a list of all of them just found; complete says that list
// was whole, so an object absent from it holds none.
func (m *memo) takeCensus(objs []meta.Ref, complete bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !complete {
		m.census = false
		m.counts = nil
		return
	}
	counts := make(map[uint64]int32, len(objs)/2)
	for _, o := range objs {
		counts[m.keyLocked(o)]++
	}
	m.counts, m.census = counts, true
}

// forgetCounts forgets the counts, once none of the writer's Events is
// left: an idle writer holds nothing per object. The census stays: an
// object absent from it still holds no Event of this writer's.
func (m *memo) forgetCounts() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.census {
		m.counts = map[uint64]int32{}
	} else {
		m.counts = nil
	}
}

func (m *memo) keyLocked(ref meta.Ref) uint64 {
	if m.seed == (maphash.Seed{}) {
		m.seed = maphash.MakeSeed()
	}
	return maphash.Comparable(m.seed, ref)
}
