package certflow

import (
	"strconv"
	"sync"

	"github.com/certflow/certflow/meta"
)

// servedVersions remembers, per Secret and Challenge, the latest version
// the Manager's own writes handed to the serving cache as they stored it
// (servingWrites, challengeWrites), so that the watch event of such a
// write does not read the object back from the Store to hand the cache
// what it holds already (observeServing). An event of an older version is
// covered too: what the Store holds now is that written version or newer,
// and a newer one has its own event still to come.
type servedVersions struct {
	mu sync.Mutex
	m  map[meta.Ref]uint64
}

// servedVersionsLimit bounds the objects remembered: past it they are all
// forgotten, which only costs a Store read per late event.
const servedVersionsLimit = 4096

// record notes that the cache was given ref as stored at version.
func (s *servedVersions) record(ref meta.Ref, version string) {
	v, err := strconv.ParseUint(version, 10, 64)
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || len(s.m) >= servedVersionsLimit {
		s.m = map[meta.Ref]uint64{}
	}
	s.m[ref] = max(s.m[ref], v)
}

// covers reports whether the cache was given ref at version or later by a
// write; the entry goes once the event of the version recorded came.
func (s *servedVersions) covers(ref meta.Ref, version string) bool {
	v, err := strconv.ParseUint(version, 10, 64)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.m[ref]
	if ok && w == v {
		delete(s.m, ref)
	}
	return ok && w >= v
}

// forget drops what is remembered of ref (deleted).
func (s *servedVersions) forget(ref meta.Ref) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, ref)
}

// reset forgets everything: after a re-list every object is served as
// listed.
func (s *servedVersions) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = nil
}
