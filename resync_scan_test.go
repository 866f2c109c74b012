package certflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/events"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// scanSpy is a Store whose Scans and Lists of every object are counted
// (preloading serving lists the Secrets on its own).
type scanSpy struct {
	store.Store
	scans, lists atomic.Int32
}

func (s *scanSpy) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if opts.Kind == "" {
		s.lists.Add(1)
	}
	return s.Store.List(ctx, opts)
}

func (s *scanSpy) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	if opts.Kind == "" {
		s.scans.Add(1)
	}
	return store.ScanOf(ctx, s.Store, opts, fn)
}

// listOnly hides the Scan of the Store it wraps, as a wrapper that
// embeds store.Store does (a test's that intercepts List).
type listOnly struct{ store.Store }

// resynced returns a Manager on st that has made its first resync, as Run
// starts; whole keeps every listed object's bytes through it.
func resynced(t *testing.T, ctx context.Context, st store.Store, whole bool) *Manager {
	t.Helper()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	m.listedOnce = false // as Run starts
	if whole {
		_, err = m.resyncFrom(ctx, m.listWhole)
	} else {
		_, err = m.resync(ctx)
	}
	require.NoError(t, err)
	return m
}

// listWhole lists the whole Store at once and reads the owners, visits
// and Events of the items after the list, each kept whole: as resync read
// them before it reduced each object as it was handed over (whole
// ObjectMetas, every byte held).
func (m *Manager) listWhole(ctx context.Context) (*resyncList, uint64, error) {
	res, err := m.cfg.Store.List(ctx, store.ListOptions{})
	l := &resyncList{items: res.Items, events: events.NewListing()}
	for _, raw := range l.items {
		om, _ := rawMeta(raw) // unreadable: owned by none
		l.owners = append(l.owners, om.OwnerRefs)
		_, reconciled := m.reconcilers[raw.Ref.Kind]
		l.visit = append(l.visit, reconciled && m.wiring.needsVisit(raw))
		l.events.Add(raw)
	}
	return l, res.Revision, err
}

// A resync reads a Store that can Scan an object at a time, and lists
// one that cannot (or a wrapper that hides it) at once: one pass either
// way.
func TestResyncScansWhenTheStoreCan(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, _, _ := issuedRig(t, ctx, 2)

	scanning := &scanSpy{Store: raw}
	resynced(t, ctx, scanning, false)
	assert.Equal(t, int32(1), scanning.scans.Load(), "the Store's Scan")
	assert.Zero(t, scanning.lists.Load(), "no List of everything beside the Scan")

	hidden := &scanSpy{Store: raw}
	resynced(t, ctx, listOnly{hidden}, false)
	assert.Zero(t, hidden.scans.Load(), "Scan is hidden by the wrapper")
	assert.Equal(t, int32(1), hidden.lists.Load(), "the whole Store listed once")
}

// What resync's consumers hold after a Scan, which reduces each object as
// it is handed over and drops the bytes of Events and requests, is what
// they hold after the whole list (every object's bytes kept, from a List):
// the visits queued, the owner index, the listed reads, the Secret names,
// the served objects and the miss gate.
func TestResyncByScanAnswersAsByList(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, _, _ := issuedRig(t, ctx, 3)
	// A request still pending: it must be visited, where the final ones
	// (judged from their bytes while listed) are not.
	cert := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c1"}
	pending := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c1-pending", OwnerRefs: []meta.Ref{cert}}}
	require.NoError(t, raw.Create(ctx, pending))
	all, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)

	byScan := resynced(t, ctx, raw, false)
	byList := resynced(t, ctx, listOnly{raw}, true)

	queued := func(m *Manager) []meta.Ref {
		var out []meta.Ref
		for m.queue.Len() > 0 {
			ref, ok := m.queue.Get(ctx)
			require.True(t, ok)
			m.queue.Done(ref)
			out = append(out, ref)
		}
		return out
	}
	wantQueued := queued(byList)
	assert.Contains(t, wantQueued, meta.RefOf(pending), "the pending request is visited")
	assert.NotContains(t, wantQueued, meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "c0-1"}, "a final request is not")
	assert.Equal(t, wantQueued, queued(byScan), "the visits queued")

	owned := 0
	for _, raw := range all.Items {
		want := byList.owners.appendOf(nil, raw.Ref)
		owned += min(len(want), 1)
		assert.Equal(t, want, byScan.owners.appendOf(nil, raw.Ref), "the owners of %s", raw.Ref)
		assert.Equal(t, byList.owners.knownPresent(raw.Ref), byScan.owners.knownPresent(raw.Ref), "%s present", raw.Ref)
	}
	assert.Greater(t, owned, 10, "Secrets, requests and Events are owned")

	// What the listed reads answer: the scan's list holds the Secrets
	// serving preloaded packed (listedPacker), and answers them unpacked.
	answers := func(m *Manager) map[meta.Ref]store.Raw {
		m.listed.mu.Lock()
		defer m.listed.mu.Unlock()
		out := map[meta.Ref]store.Raw{}
		for raw := range m.listed.items.all {
			plain, err := m.listed.packer.Load().plain(raw)
			require.NoError(t, err)
			out[raw.Ref] = plain
		}
		return out
	}
	want := answers(byList)
	assert.NotEmpty(t, want)
	assert.Equal(t, want, answers(byScan), "the listed reads")

	for i := range 3 {
		name := "c" + string(rune('0'+i)) + "-tls"
		assert.Equal(t, byList.wiring.secretNames.named("ns", name), byScan.wiring.secretNames.named("ns", name), "Certificates naming %s", name)
	}
	held := func(m *Manager) []meta.Ref {
		refs := m.wiring.cache.Held()
		slices.SortFunc(refs, store.CompareRefs)
		return refs
	}
	assert.NotEmpty(t, held(byList))
	assert.Equal(t, held(byList), held(byScan), "the objects served")
	// Its table's hash seed is its own: what it holds is compared.
	wantGate, gotGate := &byList.wiring.miss.gate.certs, &byScan.wiring.miss.gate.certs
	assert.NotEmpty(t, wantGate.entries)
	assert.Equal(t, wantGate.entries, gotGate.entries, "the Certificates the miss gate knows")
	assert.Equal(t, wantGate.names, gotGate.names)
	assert.Equal(t, wantGate.texts, gotGate.texts, "their validation names")
}

// compactedOnce is a Store whose first Scan of everything hands over a
// few objects and then fails as etcd's does when it compacts the scan's
// revision meanwhile.
type compactedOnce struct {
	store.Store
	failed atomic.Bool
}

var errHandedEnough = errors.New("handed over enough")

func (c *compactedOnce) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	if opts.Kind != "" || c.failed.Swap(true) {
		return store.ScanOf(ctx, c.Store, opts, fn)
	}
	handed := 0
	_, err := store.ScanOf(ctx, c.Store, opts, func(raw store.Raw) error {
		if handed == 2 {
			return errHandedEnough
		}
		handed++
		return fn(raw)
	})
	if !errors.Is(err, errHandedEnough) {
		return 0, err
	}
	return 0, fmt.Errorf("scan: %w", store.ErrCompacted)
}

func TestResyncScansAgainWhenTheStoreForgotTheScansRevision(t *testing.T) {
	ctx := t.Context()
	raw := memory.New()
	for i := range 3 {
		require.NoError(t, raw.Create(ctx, &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("r%d", i)}}))
	}
	all, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	st := &compactedOnce{Store: raw}
	m, err := New(Config{Store: st})
	require.NoError(t, err)

	l, rev, err := m.scanStore(ctx)
	require.NoError(t, err, "a Scan cut by a compaction is made again, as List started again")
	assert.True(t, st.failed.Load(), "the first Scan was cut")
	assert.Equal(t, all.Revision, rev)
	var got, want []meta.Ref
	for _, item := range l.items {
		got = append(got, item.Ref)
	}
	for _, item := range all.Items {
		want = append(want, item.Ref)
	}
	assert.Equal(t, want, got, "each object listed once: the cut scan's objects are not kept")
	assert.Len(t, l.owners, len(want))
	assert.Len(t, l.visit, len(want))
}
