package etcd

import (
	"sync"
	"time"

	"github.com/certflow/certflow/meta"
)

// maxVersions bounds the version cache.
const maxVersions = 8192

// versionCache remembers, per key, the identity (UID, CreationTime,
// Generation) of the last version this store read or wrote. Update must
// keep the stored identity whatever the caller sends; when the caller's
// ResourceVersion is the remembered one, the stored identity is known
// without reading it, and Update is one request instead of two. A key's
// version never changes once written, so an entry is never wrong, only
// stale (then Update reads as if it were absent).
type versionCache struct {
	mu sync.Mutex
	m  map[string]identity
}

type identity struct {
	rev        int64
	uid        string
	creation   *time.Time
	generation int64
}

func (c *versionCache) init() { c.m = make(map[string]identity) }

func (c *versionCache) remember(key string, rev int64, m *meta.ObjectMeta) {
	id := identity{rev: rev, uid: m.UID, generation: m.Generation}
	if m.CreationTime != nil {
		t := *m.CreationTime
		id.creation = &t
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= maxVersions {
		for k := range c.m { // drop any one: map order is arbitrary
			delete(c.m, k)
			break
		}
	}
	c.m[key] = id
}

func (c *versionCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// lookup returns the stored metadata fields of key at rev, if remembered.
func (c *versionCache) lookup(key string, rev int64) (meta.ObjectMeta, bool) {
	c.mu.Lock()
	id, ok := c.m[key]
	c.mu.Unlock()
	if !ok || id.rev != rev {
		return meta.ObjectMeta{}, false
	}
	m := meta.ObjectMeta{UID: id.uid, Generation: id.generation}
	if id.creation != nil {
		t := *id.creation
		m.CreationTime = &t
	}
	return m, true
}
