package certflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/internal/events"
	"github.com/certflow/certflow/internal/metrics"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// Manager drives every resource's state machine against the Store. Create it
// with New; nothing runs until Run.
type Manager struct {
	cfg         Config
	deps        reconcile.Deps
	events      *eventRecorder
	queue       *workQueue
	timers      *timerHeap
	reconcilers map[meta.Kind]reconcile.Reconciler
	wiring      *wiring
	retries     retryCounter
	changes     *notifier
	owners      ownerIndex
	ownerWake   ownerWake
	run         runState
	metrics     *metrics.Metrics
	// members, when Config.ShareWork is set, divides the work among the
	// replicas sharing the Store (members.go).
	members *members
	// onDemand, when Config.OnDemand is set, issues for unknown names
	// (ondemand*.go).
	onDemand *onDemand
	// own is what reconciles wrote to their children, so that those very
	// changes do not wake them again (ownwrites.go).
	own ownWrites
	// written is the owner view of what reconciles updated, so the watch
	// compares it without reading the object (ownerview_written.go).
	written writtenViews
	// listed answers the reconcilers' reads from the list Run starts
	// with, until the visits it queued have run (listedreads.go).
	listed *listedReads
	// listedOnce is set once Run's first list was made; only the
	// goroutine that lists touches it.
	listedOnce bool
	// atOnce counts the rounds an object ended still due at once, so one
	// that keeps asking backs off (atonce.go).
	atOnce atOnceRounds
	// listing counts the resyncs under way, for Backlog.
	listing atomic.Int32
}

// ErrAlreadyRunning is returned by a second concurrent Run.
var ErrAlreadyRunning = errors.New("certflow: manager already running")

// New validates cfg and builds a Manager. It starts nothing.
func New(cfg Config) (*Manager, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	queue := newWorkQueue()
	met := metrics.New(metrics.Options{Clock: c.Clock, Store: c.Store, Logger: c.Logger, Queue: queue.depth})
	c = instrument(c, met)
	m := &Manager{
		cfg:     c,
		queue:   queue,
		timers:  newTimerHeap(),
		retries: retryCounter{n: map[meta.Ref]int{}},
		changes: newNotifier(),
		metrics: met,
	}
	owner := ownerToken()
	m.events = &eventRecorder{log: c.Logger, owners: &m.owners, writer: events.NewWriter(events.Options{
		Store: c.Store, Clock: c.Clock, Log: c.Logger, PerObject: c.EventsPerObject, MaxAge: c.EventMaxAge,
		ClusterNamespace: c.ClusterResourceNamespace, Instance: owner})}
	met.ObserveEvents(func() (int, uint64) { return m.events.writer.Pending(), m.events.writer.Dropped() })
	m.listed = &listedReads{Store: c.Store}
	m.cfg.Store = listedWrites{Store: c.Store, listed: m.listed}
	m.deps = reconcile.Deps{
		Store:                    m.listed,
		Clock:                    c.Clock,
		Events:                   m.events,
		Log:                      c.Logger,
		ClusterResourceNamespace: c.ClusterResourceNamespace,
		Owner:                    owner,
		Observer:                 decisionsTo(queue, c.Observer),
	}
	m.deps.Owners = m.ownersStand
	writes := &ownWritesStore{Store: m.deps.Store, own: &m.own, wake: queue.Add, events: m.events.writer}
	m.deps.Store = writes
	w, err := newWiring(m.deps, c, m.queue.Add, met)
	if err != nil {
		return nil, err
	}
	m.wiring = w
	writes.updating, writes.ended = m.updating, m.writeEnded
	writes.created = m.queueWritten
	// WaitReady (and every waiter) re-reads the Store when woken: told at
	// the write, it need not wait for the watch to deliver it.
	writes.updated = m.changes.notifyWritten
	m.reconcilers = met.Reconcilers(w.reconcilers)
	if c.ShareWork {
		m.members = newMembers(c.ClusterResourceNamespace, m.deps.Owner, c.Clock.Now)
	}
	if c.OnDemand != nil {
		m.onDemand = newOnDemand(m, *c.OnDemand)
	}
	return m, nil
}

// Run reconciles until ctx is done, then returns after every goroutine it
// started has exited. It returns ctx's error on a normal stop.
func (m *Manager) Run(ctx context.Context) error {
	if !m.run.start() {
		return ErrAlreadyRunning
	}
	defer m.run.stop()

	m.listedOnce = false
	rev, err := m.resync(ctx)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	// The list answers reads until the visits it queued have all run.
	wg.Go(func() { m.listed.endWhenIdle(ctx, m.queue.idle()) })
	defer m.wiring.stop()
	defer m.events.flushAfterStop() // after wg.Wait: what the last reconciles recorded
	defer wg.Wait()
	wg.Add(3 + m.cfg.Workers)
	go func() { defer wg.Done(); m.timers.run(ctx, m.cfg.Clock, m.queue.Add) }()
	go func() { defer wg.Done(); m.events.writer.Run(ctx) }()
	go func() { defer wg.Done(); m.watch(ctx, rev) }()
	for i := 0; i < m.cfg.Workers; i++ {
		go func() { defer wg.Done(); m.work(ctx) }()
	}
	if m.members != nil {
		wg.Add(1)
		go func() { defer wg.Done(); m.announce(ctx) }()
	}
	if m.onDemand != nil {
		wg.Go(func() { m.onDemand.run(ctx) })
	}
	<-ctx.Done()
	return ctx.Err()
}

// resync lists every object, queues the reconciled ones, refreshes the
// serving cache and returns the revision to watch from.
func (m *Manager) resync(ctx context.Context) (uint64, error) {
	// One pass over the Store, each object reduced as it is handed over
	// (resynclist.go): the whole list's bytes are never held at once.
	return m.resyncFrom(ctx, m.scanStore)
}

// resyncFrom is resync of the list listStore takes of the whole Store.
func (m *Manager) resyncFrom(ctx context.Context, listStore func(context.Context) (*resyncList, uint64, error)) (uint64, error) {
	m.listing.Add(1)
	defer m.listing.Add(-1)
	m.wiring.preloadServing(ctx)
	if m.listedOnce {
		// A re-list follows changes no watch delivered, so nothing forgot
		// them: the first list may no longer answer for anything.
		m.listed.end()
	} else {
		// Writes made while the list is read are forgotten when it loads.
		m.listed.begin()
	}
	list, rev, err := listStore(ctx)
	if rev == 0 && err != nil {
		if !m.listedOnce {
			// Nothing was loaded: let go of what begin and the scan set
			// up, or it stays until another Run (the packer's
			// dictionaries are copies of listed Secrets, and active
			// listed reads keep every write in during).
			m.listed.end()
		}
		return 0, fmt.Errorf("certflow: initial list: %w", err)
	}
	if err != nil {
		// A corrupt object must not stop every other certificate.
		m.cfg.Logger.Error("store list reported unreadable objects", "err", err)
	}
	if m.members != nil {
		// Before anything is queued, so nothing is taken for this
		// replica's alone while the others are known.
		m.members.reset(list.items)
		m.members.refresh()
	}
	m.metrics.Resynced(list.items)
	m.events.writer.TakeListing(list.events, err) // its sweep reads the Events here, not listing them again
	if !m.listedOnce {
		// Only Run's first list: a re-list's visits read the Store.
		m.listed.load(list.items, err)
		m.listedOnce = true
	}
	// Its reads of issuers are one view, as a visit's are.
	m.wiring.resetServing(m.listed.visit(ctx), list.items, rev)
	m.wiring.secretNames.reset(list.items)
	m.wiring.miss.gate.reset(list.items)
	m.ownerWake.reset()
	m.own.reset()
	m.written.reset()
	// Before anything is reconciled: what lost its owners while no watch
	// ran must not drive the CA again.
	collected := m.sweepOwned(ctx, list.items, list.owners, list.packer, rev)
	for ref := range collected {
		m.listed.forget(ref)
	}
	for i, raw := range list.items {
		if list.visit[i] && !collected[raw.Ref] {
			m.queue.Add(raw.Ref)
		}
	}
	// Changes made while no watch ran reached nobody waiting for them
	// (WaitReady on a Certificate that turned Ready meanwhile, and is
	// never written again, would wait for ever): every waiter looks again.
	m.changes.notifyAll()
	return rev, nil
}

// watch follows the Store from rev. It lists everything again only when
// the Store has forgotten changes the Manager did not see (ErrCompacted);
// a watch that ended otherwise resumes from the last change seen, after a
// backoff when it keeps ending without delivering anything.
func (m *Manager) watch(ctx context.Context, rev uint64) {
	failures := 0
	for ctx.Err() == nil {
		ch, err := m.cfg.Store.Watch(ctx, rev)
		if err == nil {
			seen := rev
			for ev := range ch {
				if ev.Err != nil {
					err = ev.Err
					break
				}
				rev = ev.Revision
				m.observeSafely(ctx, ev)
				m.queue.Seen(rev)
			}
			if ctx.Err() != nil {
				return
			}
			if rev > seen {
				failures = 0
			}
		}
		if errors.Is(err, store.ErrCompacted) {
			if rev, err = m.rewatch(ctx, err); err != nil {
				return
			}
			failures = 0
			continue
		}
		// Nothing was lost (the Store was unreachable, or ended the watch):
		// resume where it stopped.
		m.cfg.Logger.Warn("store watch interrupted", "err", err, "revision", rev)
		if failures > 0 && !m.sleep(ctx, watchBackoff(failures)) {
			return
		}
		failures++
	}
}

// watchBackoff is the wait after the nth consecutive failure (n >= 1): 100 ms,
// doubling, at most 30 s.
func watchBackoff(n int) time.Duration {
	return min(100*time.Millisecond<<min(n-1, 9), 30*time.Second)
}

// sleep waits d on the Manager's clock, or returns false when ctx ends first.
func (m *Manager) sleep(ctx context.Context, d time.Duration) bool {
	t := m.cfg.Clock.NewTimer(d)
	select {
	case <-ctx.Done():
		t.Stop()
		return false
	case <-t.C():
		return true
	}
}

// rewatch recovers from a compacted watch by listing everything again.
func (m *Manager) rewatch(ctx context.Context, cause error) (uint64, error) {
	m.cfg.Logger.Warn("store watch restarted", "err", cause)
	for n := 1; ; n++ {
		rev, err := m.resync(ctx)
		if err == nil {
			return rev, nil
		}
		if !m.sleep(ctx, watchBackoff(n)) {
			return 0, ctx.Err()
		}
	}
}

// observeSafely is observe that survives a panic: the watch goes on and
// the next resync repairs what this change missed.
func (m *Manager) observeSafely(ctx context.Context, ev store.WatchEvent) {
	defer func() {
		if p := recover(); p != nil {
			m.cfg.Logger.Error("observing a store change panicked", "kind", ev.Ref.Kind, "namespace", ev.Ref.Namespace,
				"name", ev.Ref.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	m.observe(ctx, ev)
}

// observe maps one store change to the objects that must look again.
func (m *Manager) observe(ctx context.Context, ev store.WatchEvent) {
	// Before anything acts on the change: no read answers what it replaced.
	m.listed.forget(ev.Ref)
	if ev.Ref.Kind == kindReplica {
		if m.members != nil {
			m.members.observe(ev)
		}
		return
	}
	m.metrics.Changed(ev.Ref)
	if ev.Ref.Kind == meta.KindEvent {
		m.observeEvent(ctx, ev)
		return
	}
	if ev.Type == store.Deleted {
		m.forget(ev.Ref)
		// Remembered whatever its kind: its events may still be on their
		// way to the Store (observeEvent).
		m.owners.ownerDeleted(ev.Ref, ev.Revision)
		if err := m.collect(ctx, ev.Ref); err != nil {
			m.cfg.Logger.Warn("cannot collect what a deleted object owned", "kind", ev.Ref.Kind,
				"namespace", ev.Ref.Namespace, "name", ev.Ref.Name, "err", err)
		}
	} else {
		var created uint64
		if ev.Type == store.Added {
			created = ev.Revision
		}
		m.owners.set(ev.Ref, ev.Meta.OwnerRefs, created)
		m.owners.seenPresent(ev.Ref)
		if ev.Ref.Kind == meta.KindCertificate {
			m.wiring.secretNames.set(ev.Ref, ev.Meta.Labels)
		}
	}
	m.wiring.observeServing(ctx, ev)
	m.wiring.miss.gate.observe(ev, &m.owners)
	version := ev.Meta.ResourceVersion
	if ev.Type == store.Deleted {
		version = ""
	}
	m.changes.notify(ev.Ref, version)
	if _, ok := m.reconcilers[ev.Ref.Kind]; ok {
		// A deleted object is reconciled too: its reconciler finds it gone
		// and forgets what it kept in memory (an issuer's ACME client).
		// One that keeps nothing is not visited (forget dropped its timer
		// and counts), unless a visit of it is in flight: that one may
		// schedule a timer or count a retry as it ends, so it is redone
		// and the redo, finding it gone, clears them.
		if ev.Type == store.Deleted {
			if m.wiring.goneUnvisited[ev.Ref.Kind] {
				m.queue.RedoIfActive(ev.Ref)
			} else {
				m.queue.Add(ev.Ref)
			}
		} else {
			m.queue.AddChange(ev.Ref, ev.Meta.ResourceVersion)
		}
	} else if ev.Type != store.Deleted && len(ev.Meta.OwnerRefs) > 0 && m.mine(ctx, ev.Ref) {
		// Nothing reconciles it, so its owners are checked here (by the
		// replica whose share it is): it may have been written just after
		// they were deleted.
		if _, err := m.checkOwners(ctx, ev.Ref); err != nil {
			m.cfg.Logger.Warn("cannot collect an object whose owners are gone", "kind", ev.Ref.Kind,
				"namespace", ev.Ref.Namespace, "name", ev.Ref.Name, "err", err)
		}
	}
	if len(ev.Meta.OwnerRefs) == 0 {
		// An object that lost its owners leaves nothing to compare with.
		m.ownerWake.forget(ev.Ref)
	}
	// Only the replica whose share the object is reconciles its owners;
	// the others must not spend a Store read per change of it here, in
	// the goroutine that also tells them which challenges to answer.
	wake := len(ev.Meta.OwnerRefs) > 0 && m.mine(ctx, ev.Ref) && m.wakesOwners(ctx, ev)
	// The owner whose reconcile made this very change has decided on it.
	decided, byOwner := m.own.take(ev)
	for _, owner := range ev.Meta.OwnerRefs {
		if _, ok := m.reconcilers[owner.Kind]; ok && wake && (!byOwner || owner != decided) {
			m.queue.Add(owner)
		}
	}
	for _, ref := range m.wiring.dependents(ctx, ev.Ref) {
		m.queue.Add(ref)
	}
}

// forget drops what the Manager keeps about a deleted object.
func (m *Manager) forget(ref meta.Ref) {
	m.timers.Cancel(ref)
	m.queue.Forget(ref)
	m.retries.reset(ref)
	m.atOnce.reset(ref)
	m.owners.forget(ref)
	// A child the start's sweep collected with its owner was listed too:
	// its queued visit must find it gone, not as listed.
	m.listed.forget(ref)
	if ref.Kind == meta.KindCertificate {
		m.wiring.secretNames.forget(ref)
	}
}

// ownerToken is a random identity for this Manager's Store leases.
func ownerToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
