package certflow

import (
	"context"
	"errors"
	"slices"

	"github.com/certflow/certflow/internal/events"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// resyncList is a list of the whole Store as resync's consumers read it,
// built from a Scan an object at a time: each object is reduced as it is
// handed over to what the consumers need of it, and only the kinds whose
// bytes are read after the list keep them. A Manager starting on 100,000
// certificates lists some 800,000 objects (1.1 GB of JSON), most of it
// Events and CertificateRequests read for a few fields each: held whole
// until every consumer had run, the list was most of the start's peak.
type resyncList struct {
	// items are the listed objects in the list's order, each with its
	// version; Data only of the kinds keepsBytes says a consumer reads.
	items []store.Raw
	// owners[i] are the owner references of items[i] (sweep), decoded
	// alone (meta.OwnerRefsOf); equal ones of objects listed one after
	// the other (a certificate's request, Secret and Events) share one
	// slice, which nothing changes.
	owners [][]meta.Ref
	// visit[i] says items[i] is of a reconciled kind and must be visited
	// (wiring.needsVisit), judged while its bytes were at hand.
	visit []bool
	// events is what the Event writer's sweep reads of the listed Events.
	events *events.Listing
	// packer packs the bytes of the Secrets serving holds as listed
	// (listedPacker); nil on a re-list, whose visits read the Store.
	packer *listedPacker
}

// bytesDropped are the kinds whose bytes no consumer reads once the list
// is read (keepsBytes): an Event's sweep record, a request's owners,
// version and whether it is final are read as it is handed over.
var bytesDropped = map[meta.Kind]bool{meta.KindEvent: true, meta.KindCertificateRequest: true}

// scanAttempts bounds how often a resync scans the Store again after the
// Store forgot the scan's revision once part of it was handed over (etcd
// compacted meanwhile): a List started over inside the Store, but a Scan
// cannot take back what it handed over, so the Manager starts over on a
// new list. Run's first resync fails Run when its list fails.
const scanAttempts = 3

// scanStore lists the whole Store an object at a time (store.ScanOf: a
// Store without Scan, or behind a wrapper that hides it, is listed at
// once) into a resyncList. Its revision and error are the list's.
func (m *Manager) scanStore(ctx context.Context) (*resyncList, uint64, error) {
	for attempt := 1; ; attempt++ {
		l, rev, err := m.scanOnce(ctx)
		if rev == 0 && errors.Is(err, store.ErrCompacted) && attempt < scanAttempts && ctx.Err() == nil {
			// Each attempt reads the whole Store: one cut again and again
			// (a compaction interval shorter than a scan) must be seen.
			m.cfg.Logger.Warn("store scan cut by a compaction, scanning again", meta.LogAttempt, attempt, meta.LogError, err)
			continue
		}
		return l, rev, err
	}
}

// scanOnce is one scan of scanStore's, into a new resyncList.
func (m *Manager) scanOnce(ctx context.Context) (*resyncList, uint64, error) {
	l := &resyncList{events: events.NewListing()}
	if !m.listedOnce {
		l.packer = newListedPacker()
		m.listed.usePacker(l.packer)
	}
	rev, err := store.ScanOf(ctx, m.cfg.Store, store.ListOptions{}, func(raw store.Raw) error {
		m.addListed(l, raw)
		return nil
	})
	return l, rev, err
}

// addListed reduces raw, as it is handed over, to what resync's consumers
// need of it. It is a Scan's fn: it must never call the Store, nor
// anything that does (a visit, a collect, a Get of an owner), since the
// file store holds its lock while it runs (store.Scanner): a write would
// deadlock. Whatever needs the Store is done from the list after the scan
// (resync's consumers, the sweep).
func (m *Manager) addListed(l *resyncList, raw store.Raw) {
	owners, _ := meta.OwnerRefsOf(raw.Data) // unreadable: owned by none
	if len(owners) == 0 {
		owners = nil
	} else if n := len(l.owners); n > 0 && slices.Equal(owners, l.owners[n-1]) {
		owners = l.owners[n-1]
	}
	l.owners = append(l.owners, owners)
	_, reconciled := m.reconcilers[raw.Ref.Kind]
	l.visit = append(l.visit, reconciled && m.wiring.needsVisit(raw))
	l.events.Add(raw)
	switch {
	case !m.keepsBytes(raw.Ref.Kind):
		raw.Data = nil
	case m.servedAsListed(raw):
		raw = l.packer.pack(raw)
	}
	l.items = append(l.items, raw)
}

// servedAsListed reports whether raw is a Secret serving preloaded at its
// listed version: resetServing skips it, so only the sweep and the listed
// reads read its bytes, and both unpack them (listedPacker).
func (m *Manager) servedAsListed(raw store.Raw) bool {
	if raw.Ref.Kind != meta.KindSecret {
		return false
	}
	v, ok := m.wiring.preloaded[raw.Ref]
	return ok && v != "" && v == raw.ResourceVersion
}

// keepsBytes reports whether a consumer of resync's list reads the bytes
// of listed objects of kind k after the list: the listed reads of a kind
// they answer with more than its presence (listedreads.go), an orphan's
// rule (wiring.orphaned), serving, the Secret name and member indexes
// read theirs; a kind certflow does not know is kept whole.
func (m *Manager) keepsBytes(k meta.Kind) bool {
	if _, ruled := m.wiring.orphans[k]; ruled {
		return true
	}
	if answeredKinds[k] && !presenceKinds[k] {
		return true
	}
	return !bytesDropped[k]
}
