package certflow

import (
	"context"
	"errors"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Work sharing (Config.ShareWork): every Manager announces itself in the
// Store with a Replica object that it writes again every memberHeartbeat,
// and watches the others'. A replica whose object was not seen to change
// for memberTTL, or was deleted (a clean stop), has left. The Certificates
// are divided among the live replicas by rendezvous hashing, each with
// everything issued for it (requests, orders, challenges), so each replica
// reconciles its own share and the others only serve; when the set of
// live replicas changes, everything is looked at again and shares move.
// Claims still guard every step the CA sees, so two replicas that briefly
// disagree on who owns what (their views of the set differ for a moment)
// never take such a step twice.
const (
	memberHeartbeat = time.Second
	memberTTL       = 3 * memberHeartbeat
	// kindReplica is the kind of the Replica objects.
	kindReplica meta.Kind = "Replica"
	// annotationHeartbeat counts a replica's heartbeats: each one changes
	// the object, which is all the others look at.
	annotationHeartbeat = "certflow.io/heartbeat"
)

// replicaObject is one Manager's announcement in the Store.
type replicaObject struct {
	meta.TypeMeta `json:",inline"`
	ObjectMeta    meta.ObjectMeta `json:"metadata"`
}

func (r *replicaObject) GetKind() meta.Kind        { return kindReplica }
func (r *replicaObject) GetMeta() *meta.ObjectMeta { return &r.ObjectMeta }

// members is what one Manager knows of the replicas sharing its Store.
type members struct {
	self meta.Ref // this Manager's Replica object
	now  func() time.Time

	// changed is poked when a replica joins or leaves cleanly, so the
	// shares move at once rather than at the next heartbeat.
	changed chan struct{}
	// obj is this replica's object as last written; only announce uses it.
	obj *replicaObject

	mu   sync.Mutex
	seen map[meta.Ref]time.Time // the others, when each last changed
	live []string               // names of the live replicas, self included, sorted
}

func newMembers(namespace, owner string, now func() time.Time) *members {
	self := meta.Ref{Kind: kindReplica, Namespace: namespace, Name: "replica-" + owner}
	return &members{self: self, now: now, changed: make(chan struct{}, 1),
		seen: map[meta.Ref]time.Time{}, live: []string{self.Name}}
}

// observe takes in a change of another replica's object.
func (ms *members) observe(ev store.WatchEvent) {
	if ev.Ref == ms.self {
		return
	}
	ms.mu.Lock()
	_, known := ms.seen[ev.Ref]
	if ev.Type == store.Deleted {
		delete(ms.seen, ev.Ref)
	} else {
		ms.seen[ev.Ref] = ms.now()
	}
	ms.mu.Unlock()
	if known == (ev.Type == store.Deleted) {
		select {
		case ms.changed <- struct{}{}:
		default:
		}
	}
}

// reset takes in the Replica objects of a list: each counts as alive now,
// and leaves memberTTL after its last change seen from here on.
func (ms *members) reset(items []store.Raw) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	seen := map[meta.Ref]time.Time{}
	for _, raw := range items {
		if raw.Ref.Kind == kindReplica && raw.Ref != ms.self {
			seen[raw.Ref] = ms.now()
		}
	}
	ms.seen = seen
}

// refresh recomputes the live set and reports whether it changed.
func (ms *members) refresh() bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	live := []string{ms.self.Name}
	now := ms.now()
	for ref, at := range ms.seen {
		if now.Sub(at) < memberTTL {
			live = append(live, ref.Name)
		}
	}
	slices.Sort(live)
	if slices.Equal(live, ms.live) {
		return false
	}
	ms.live = live
	return true
}

// owns reports whether this replica's share holds key: rendezvous hashing
// over the live replicas, so a replica leaving moves only its own share.
func (ms *members) owns(key string) bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	k := hash64(key)
	var best string
	var bestScore uint64
	for _, name := range ms.live {
		if s := mix64(hash64(name) ^ k); best == "" || s > bestScore {
			best, bestScore = name, s
		}
	}
	return best == ms.self.Name
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// mix64 is MurmurHash3's 64-bit finalizer: FNV alone keeps the order of
// two names' hashes for most keys, which would give one replica nearly
// every share.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// heartbeat writes this replica's object: created the first time (or
// when it went missing), then updated with one more beat. Only the
// announce goroutine calls it.
func (ms *members) heartbeat(ctx context.Context, st store.Store, beat int) error {
	if ms.obj == nil {
		obj := &replicaObject{}
		err := st.Get(ctx, ms.self, obj)
		if errors.Is(err, store.ErrNotFound) {
			obj = &replicaObject{ObjectMeta: meta.ObjectMeta{Namespace: ms.self.Namespace, Name: ms.self.Name,
				Annotations: map[string]string{annotationHeartbeat: strconv.Itoa(beat)}}}
			if err := st.Create(ctx, obj); err != nil {
				return err
			}
			ms.obj = obj
			return nil
		}
		if err != nil {
			return err
		}
		if obj.ObjectMeta.Annotations == nil {
			obj.ObjectMeta.Annotations = map[string]string{}
		}
		ms.obj = obj
	}
	ms.obj.ObjectMeta.Annotations[annotationHeartbeat] = strconv.Itoa(beat)
	if err := st.Update(ctx, ms.obj); err != nil {
		ms.obj = nil // read again next time
		return err
	}
	return nil
}

// shareKey names the share ref belongs to: its Certificate, found through
// owner references (a Challenge's Order's CertificateRequest's
// Certificate), or ref itself when it has no reconciled owner. Owners come
// from the index the watch keeps; a child queued before its creation
// reached this replica's watch (an issuer's change queues the requests
// waiting for it) is read from the Store instead. An object found gone
// has no owners; any other failure to read one is returned with the key
// reached so far, which is then only a guess.
func (m *Manager) shareKey(ctx context.Context, ref meta.Ref) (string, error) {
	top := ref
	var err error
	for range 4 {
		if top.Kind == meta.KindCertificate {
			break
		}
		owners := m.owners.of(top)
		if len(owners) == 0 {
			obj := &rawObject{}
			if gerr := m.cfg.Store.Get(ctx, top, obj); gerr != nil {
				if !errors.Is(gerr, store.ErrNotFound) {
					err = gerr
				}
				break
			}
			owners = obj.meta.OwnerRefs
			m.owners.set(top, owners, 0)
		}
		i := slices.IndexFunc(owners, func(o meta.Ref) bool { _, ok := m.reconcilers[o.Kind]; return ok })
		if i < 0 {
			break
		}
		top = owners[i]
	}
	return string(top.Kind) + "/" + top.Namespace + "/" + top.Name, err
}

// mine reports whether ref is this Manager's to look after (reconcile, or
// collect once its owners are gone): always, unless work is shared; then
// Issuers always (every replica needs their ACME accounts), anything else
// when its share is this replica's.
func (m *Manager) mine(ctx context.Context, ref meta.Ref) bool {
	mine, _ := m.share(ctx, ref)
	return mine
}

// share is mine, with the error that made its answer a guess: owners
// that could not be read (not found counts as read).
func (m *Manager) share(ctx context.Context, ref meta.Ref) (bool, error) {
	if m.members == nil {
		return true, nil
	}
	switch ref.Kind {
	case meta.KindIssuer, meta.KindClusterIssuer:
		return true, nil
	}
	key, err := m.shareKey(ctx, ref)
	return m.members.owns(key), err
}

// announce keeps this Manager's Replica object fresh until ctx ends, then
// deletes it so the others take its share at once; whenever the set of
// live replicas changes, every object is looked at again.
func (m *Manager) announce(ctx context.Context) {
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), leaveTimeout)
		defer cancel()
		_ = m.cfg.Store.Delete(dctx, m.members.self, "")
	}()
	requeue := false // the set changed and not everything was queued since
	share := func() {
		if m.members.refresh() || requeue {
			requeue = !m.requeueAll(ctx)
		}
	}
	failing := false
	for beat := 1; ; beat++ {
		// The next beat is due a heartbeat after this one started, not
		// after it and share() (a Store write, maybe a full list) end:
		// their time does not stretch the interval the others judge by.
		next := m.cfg.Clock.Now().Add(memberHeartbeat)
		err := m.members.heartbeat(ctx, m.cfg.Store, beat)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			m.cfg.Logger.Warn("cannot announce this replica in the store; the others will take its share", "err", err)
		case err == nil && failing:
			m.cfg.Logger.Info("this replica is announced in the store again")
		}
		failing = err != nil
		share()
		// But never at once after it: a beat that took longer than the
		// interval (a slow Store) is followed by a gap, not by another
		// against the same slow Store.
		next = later(next, m.cfg.Clock.Now().Add(memberHeartbeat/4))
		t := clock.NewTimerAt(m.cfg.Clock, next)
	wait:
		for {
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-m.members.changed:
				share()
			case <-t.C():
				break wait
			}
		}
	}
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// leaveTimeout bounds deleting this replica's object on the way out.
const leaveTimeout = 5 * time.Second

// requeueAll queues every reconciled object, so each replica takes up what
// fell to it when the set of replicas changed. It reports whether it could
// list them. It reads the reconciled kinds alone, an object at a time,
// keeping nothing but the queued refs: a List of the whole Store held
// every Secret's key and chain and every Event (1.1 GB at 100,000
// certificates) to queue a few refs of each certificate.
func (m *Manager) requeueAll(ctx context.Context) bool {
	for _, kind := range slices.Sorted(maps.Keys(m.reconcilers)) {
		rev, err := store.ScanOf(ctx, m.cfg.Store, store.ListOptions{Kind: kind}, func(raw store.Raw) error {
			m.queue.Add(raw.Ref) // not the Store: a Scan's fn must not call it
			return nil
		})
		if rev == 0 && err != nil {
			// Those handed over are queued: looked at twice at worst.
			if ctx.Err() == nil {
				m.cfg.Logger.Warn("cannot list the store after the replicas changed", meta.LogKind, kind, meta.LogError, err)
			}
			return false
		}
		// A corrupt object is left out, and reported by the list that
		// started Run; the others are queued.
	}
	return true
}
