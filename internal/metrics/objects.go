package metrics

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// objectIndex keeps the few fields the object gauges need of each
// Certificate, Issuer, ClusterIssuer, Order and Challenge. The Manager's
// watch only marks changed objects dirty (a map insert, no I/O on the watch
// loop); a scrape reads the dirty ones from the Store and then emits from
// memory, so a scrape costs one read per object changed since the last
// one, not a list of the whole Store, and a Manager nobody scrapes reads
// nothing.
type objectIndex struct {
	store store.Reader
	log   *slog.Logger

	dirtyMu sync.Mutex
	dirty   dirtySet

	refreshMu sync.Mutex // one refresh at a time

	mu    sync.RWMutex // guards what follows
	certs map[meta.Ref]*certEntry
	// certOrder holds certs sorted as the registry sorts their series, so
	// the sort of every scrape finds them in order (see sortCerts);
	// rebuilt when a certificate comes, goes or changes issuer.
	certOrder      []*certEntry
	certOrderStale bool
	issuers        map[meta.Ref]issuerEntry
	orders         map[meta.Ref]order.State
	challenges     map[meta.Ref]challengeEntry
}

type certEntry struct {
	ref                          meta.Ref
	issuer                       meta.IssuerRef
	ready                        meta.ConditionStatus
	notBefore, notAfter, renewal float64
}

type issuerEntry struct{ ready meta.ConditionStatus }

type challengeEntry struct {
	domain, reason string
	processing     bool
	typ            string
	state          challenge.State
}

func newObjectIndex(st store.Reader, log *slog.Logger) *objectIndex {
	return &objectIndex{
		store: st, log: log,
		certs:      map[meta.Ref]*certEntry{},
		issuers:    map[meta.Ref]issuerEntry{},
		orders:     map[meta.Ref]order.State{},
		challenges: map[meta.Ref]challengeEntry{},
	}
}

// tracked reports whether objects of kind k feed a gauge.
func tracked(k meta.Kind) bool {
	switch k {
	case meta.KindCertificate, meta.KindIssuer, meta.KindClusterIssuer, meta.KindOrder, meta.KindChallenge:
		return true
	}
	return false
}

// Changed marks the object named ref (created, updated or deleted) to be
// read again at the next scrape.
func (m *Metrics) Changed(ref meta.Ref) { m.objects.changed(ref) }

// Resynced tells that the Manager listed the whole Store again (at start,
// or after its watch broke): every listed object and every object known
// before is read again at the next scrape, so what vanished meanwhile is
// dropped.
func (m *Metrics) Resynced(items []store.Raw) { m.objects.resynced(items) }

func (x *objectIndex) changed(ref meta.Ref) {
	if !tracked(ref.Kind) {
		return
	}
	x.dirtyMu.Lock()
	x.dirty.add(ref)
	x.dirtyMu.Unlock()
}

func (x *objectIndex) resynced(items []store.Raw) {
	var known []meta.Ref
	x.mu.RLock()
	for ref := range x.certs {
		known = append(known, ref)
	}
	for ref := range x.issuers {
		known = append(known, ref)
	}
	for ref := range x.orders {
		known = append(known, ref)
	}
	for ref := range x.challenges {
		known = append(known, ref)
	}
	x.mu.RUnlock()
	x.dirtyMu.Lock()
	defer x.dirtyMu.Unlock()
	for _, ref := range known {
		x.dirty.add(ref)
	}
	for _, raw := range items {
		if tracked(raw.Ref.Kind) {
			x.dirty.add(raw.Ref)
		}
	}
}

// refresh reads the dirty objects, for at most timeout. What cannot be
// read now (the Store is down, time ran out) keeps its previous values and
// stays dirty.
func (x *objectIndex) refresh(timeout time.Duration) {
	x.refreshMu.Lock()
	defer x.refreshMu.Unlock()
	x.dirtyMu.Lock()
	todo := x.dirty
	x.dirty = dirtySet{}
	x.dirtyMu.Unlock()
	if todo.len() == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var retry []meta.Ref
	var lastErr error
	for ref := range todo.all {
		if ctx.Err() != nil {
			retry = append(retry, ref)
			continue
		}
		err := x.read(ctx, ref)
		switch {
		case err == nil:
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrCorrupt):
			// Gone, or unreadable until it is written again (which marks
			// it again): no gauge.
			x.remove(ref)
		default:
			retry = append(retry, ref)
			lastErr = err
		}
	}
	x.sortCerts()
	if len(retry) == 0 {
		return
	}
	x.dirtyMu.Lock()
	for _, ref := range retry {
		x.dirty.add(ref)
	}
	x.dirtyMu.Unlock()
	if lastErr != nil {
		x.log.Warn("metrics: some changed objects could not be read; their gauges keep older values until the next scrape",
			"objects", len(retry), "err", lastErr)
	}
}

// sortCerts orders the certificates as client_golang's registry orders the
// series of a family: by label values, in the order of the label names
// (issuer_group, issuer_kind, issuer_name, name, namespace). The registry
// sorts every family of every scrape; a family already in order makes that
// sort linear instead of O(n log n) slow comparisons, which at 100,000
// certificates is most of a scrape.
func (x *objectIndex) sortCerts() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.certOrderStale {
		return
	}
	x.certOrder = x.certOrder[:0]
	for _, e := range x.certs {
		x.certOrder = append(x.certOrder, e)
	}
	slices.SortFunc(x.certOrder, func(a, b *certEntry) int {
		return cmp.Or(
			cmp.Compare(a.issuer.Group, b.issuer.Group),
			cmp.Compare(a.issuer.Kind, b.issuer.Kind),
			cmp.Compare(a.issuer.Name, b.issuer.Name),
			cmp.Compare(a.ref.Name, b.ref.Name),
			cmp.Compare(a.ref.Namespace, b.ref.Namespace))
	})
	x.certOrderStale = false
}

// read loads the object named ref and records what its gauges need.
func (x *objectIndex) read(ctx context.Context, ref meta.Ref) error {
	switch ref.Kind {
	case meta.KindCertificate:
		c := &certificate.Certificate{}
		if err := x.store.Get(ctx, ref, c); err != nil {
			return err
		}
		e := certEntry{ref: ref, issuer: c.Spec.IssuerRef, ready: readyStatus(c.Status.Conditions),
			notBefore: unix(c.Status.NotBefore), notAfter: unix(c.Status.NotAfter), renewal: unix(c.Status.RenewalTime)}
		x.mu.Lock()
		if cur := x.certs[ref]; cur != nil {
			x.certOrderStale = x.certOrderStale || cur.issuer != e.issuer
			*cur = e
		} else {
			x.certs[ref] = &e
			x.certOrderStale = true
		}
		x.mu.Unlock()
	case meta.KindIssuer, meta.KindClusterIssuer:
		iss, err := issuer.Get(ctx, x.store, ref)
		if err != nil {
			return err
		}
		x.mu.Lock()
		x.issuers[ref] = issuerEntry{ready: readyStatus(iss.IssuerStatus().Conditions)}
		x.mu.Unlock()
	case meta.KindOrder:
		o := &order.Order{}
		if err := x.store.Get(ctx, ref, o); err != nil {
			return err
		}
		x.mu.Lock()
		x.orders[ref] = o.Status.State
		x.mu.Unlock()
	case meta.KindChallenge:
		ch := &challenge.Challenge{}
		if err := x.store.Get(ctx, ref, ch); err != nil {
			return err
		}
		x.mu.Lock()
		x.challenges[ref] = challengeEntry{domain: ch.Spec.DNSName, reason: reasonLabel(ch.Status.Reason),
			processing: ch.Status.Processing, typ: string(ch.Spec.Type), state: ch.Status.State}
		x.mu.Unlock()
	}
	return nil
}

func (x *objectIndex) remove(ref meta.Ref) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.certs[ref]; ok {
		delete(x.certs, ref)
		x.certOrderStale = true
	}
	delete(x.issuers, ref)
	delete(x.orders, ref)
	delete(x.challenges, ref)
}

// readyStatus is the status of the Ready condition, Unknown without one
// (as cert-manager's collectors read it).
func readyStatus(cs meta.Conditions) meta.ConditionStatus {
	if c := cs.Get(meta.ConditionReady); c != nil {
		return c.Status
	}
	return meta.ConditionUnknown
}

// unix is t as Unix seconds, 0 when unset (as cert-manager reports it).
func unix(t *time.Time) float64 {
	if t == nil {
		return 0
	}
	return float64(t.Unix())
}
