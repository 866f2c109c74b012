package events

import (
	"sync"

	"github.com/certflow/certflow/meta"
)

// memoLimit bounds what a memo remembers; past it, it starts afresh (and
// the writer reads and lists again what it forgot).
const memoLimit = 1 << 16

// memo is what a Writer remembers of its own writes, to spare the Store a
// read before each create and a list after it: the Events it wrote, and how
// many Events each object holds (as listed at its first create, plus the
// creates since). Forgetting costs a read or a list, never an event.
type memo struct {
	mu     sync.Mutex
	events map[meta.Ref]struct{}
	counts map[meta.Ref]int
}

func (m *memo) wrote(event meta.Ref) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.events[event]
	return ok
}

func (m *memo) written(event meta.Ref) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil || len(m.events) >= memoLimit {
		m.events = map[meta.Ref]struct{}{}
	}
	m.events[event] = struct{}{}
}

// created counts one more Event of obj and reports whether obj is known to
// hold at most limit; false means: list them.
func (m *memo) created(obj meta.Ref, limit int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.counts[obj]
	if !ok || n+1 > limit {
		return false
	}
	m.counts[obj] = n + 1
	return true
}

// counted records that obj holds n Events.
func (m *memo) counted(obj meta.Ref, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil || len(m.counts) >= memoLimit {
		m.counts = map[meta.Ref]int{}
	}
	m.counts[obj] = n
}
