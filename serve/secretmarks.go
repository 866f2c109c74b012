package serve

import "github.com/certflow/certflow/meta"

// The version last applied of each Secret (see versionLog) is kept by its
// loaded entry while it has one (certEntry.mark), and in secretVersions
// only while it has none (deleted, holding no certificate, dropped): a
// map keyed by meta.Ref cost every served Secret ~130 bytes for the
// collector to scan besides the index's own. A reference is never in both.

// secretMarkLocked returns the version last applied of ref.
func (c *Cache) secretMarkLocked(ref meta.Ref) (mark, bool) {
	if e := c.certs.secrets.get(ref); e != nil {
		return e.mark(), true
	}
	m, ok := c.secretVersions.seen[ref]
	return m, ok
}

// secretStaleLocked reports whether a read of ref at version v is older
// than the version applied (versionLog.stale).
func (c *Cache) secretStaleLocked(ref meta.Ref, v uint64) bool {
	m, _ := c.secretMarkLocked(ref)
	return v != 0 && v < m.version
}

// applySecretLocked applies a read of ref at version v (0: unordered) that
// loads e, or, with e nil, a deletion or a Secret holding no certificate,
// recording its version as versionLog.record would.
func (c *Cache) applySecretLocked(ref meta.Ref, v uint64, e *certEntry) {
	if e != nil {
		c.loadLocked(e, v)
		return
	}
	c.certs.remove(ref) // its mark goes: record sets or forgets it
	c.secretVersions.record(ref, v, true)
}

// loadLocked loads e, read at version v (0: unordered, which keeps the
// version applied before).
func (c *Cache) loadLocked(e *certEntry, v uint64) {
	if v != 0 {
		e.setMark(mark{version: v})
	} else if m, ok := c.secretMarkLocked(e.ref); ok {
		e.setMark(m)
	}
	delete(c.secretVersions.seen, e.ref)
	c.certs.put(e)
}

// unloadLocked stops serving ref's loaded entry, if any, keeping the
// version it was read at.
func (c *Cache) unloadLocked(ref meta.Ref) {
	if old := c.certs.remove(ref); old != nil && old.mark() != (mark{}) {
		if c.secretVersions.seen == nil {
			c.secretVersions.seen = map[meta.Ref]mark{}
		}
		c.secretVersions.seen[ref] = old.mark()
	}
}
