package certflow

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

func TestListedReads(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	secretOf := func(name string) *secret.Secret {
		return &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name}, Data: map[string][]byte{"k": []byte(name)}}
	}
	for _, name := range []string{"a", "b", "c", "d"} {
		require.NoError(t, raw.Create(ctx, secretOf(name)))
	}
	iss := testrig.CAIssuer("ns", "ca", "a")
	require.NoError(t, raw.Create(ctx, iss))
	res, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	counts := storecount.New(raw)
	l := &listedReads{Store: counts}
	ref := func(name string) meta.Ref { return meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: name} }
	gets := func() int64 { return counts.Counts().Of(storecount.Get) }

	got := &secret.Secret{Type: "left over"}
	require.NoError(t, l.Get(l.visit(ctx), ref("a"), got), "the Store answers before a list is loaded")
	assert.Equal(t, int64(1), gets())

	l.load(res.Items, nil)
	got = &secret.Secret{Type: "left over"}
	require.NoError(t, l.Get(l.visit(ctx), ref("a"), got))
	assert.Equal(t, []byte("a"), got.Data["k"])
	assert.Empty(t, got.Type, "decoded into a zeroed object, as a Store's Get")
	assert.ErrorIs(t, l.Get(l.visit(ctx), ref("missing"), &secret.Secret{}), store.ErrNotFound, "not listed: not there")
	for range 2 {
		require.NoError(t, l.Get(l.visit(ctx), meta.RefOf(iss), iss), "issuers are answered every time")
	}
	assert.Equal(t, int64(1), gets(), "the list answered")

	require.NoError(t, l.Get(l.visit(ctx), ref("a"), got), "answered once, then by the Store")
	assert.Equal(t, int64(2), gets())

	// A change the watch delivered, and the list's answer is forgotten.
	b := secretOf("b")
	require.NoError(t, raw.Get(ctx, ref("b"), b))
	b.Data["k"] = []byte("b2")
	require.NoError(t, raw.Update(ctx, b))
	l.forget(ref("b"))
	require.NoError(t, l.Get(l.visit(ctx), ref("b"), got))
	assert.Equal(t, []byte("b2"), got.Data["k"])
	assert.Equal(t, int64(3), gets())

	// Its own writes too, a create of what was not listed included.
	require.NoError(t, l.Create(ctx, secretOf("e")))
	require.NoError(t, l.Get(l.visit(ctx), ref("e"), got), "created after the list")
	c := secretOf("c")
	require.NoError(t, raw.Get(ctx, ref("c"), c))
	c.Data["k"] = []byte("c2")
	require.NoError(t, l.Update(ctx, c))
	require.NoError(t, l.Get(l.visit(ctx), ref("c"), got))
	assert.Equal(t, []byte("c2"), got.Data["k"])
	require.NoError(t, l.Delete(ctx, ref("d"), ""))
	assert.ErrorIs(t, l.Get(l.visit(ctx), ref("d"), got), store.ErrNotFound)
	assert.Equal(t, int64(6), gets())

	l.end()
	require.NoError(t, l.Get(l.visit(ctx), meta.RefOf(iss), iss))
	assert.Equal(t, int64(7), gets(), "the Store answers once the list ended")
}

// Objects a list could not read are not taken for missing.
func TestListedReadsLeavesWhatTheListMissedToTheStore(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "a"}
	require.NoError(t, raw.Create(ctx, &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "a"}}))
	other := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "b"}
	for name, tc := range map[string]struct {
		err          error
		otherMissing bool
	}{
		"named corrupt": {err: fmt.Errorf("list: %w", errors.Join(&store.CorruptError{Ref: ref, Err: errors.New("bad")})), otherMissing: true},
		"unnamed":       {err: errors.Join(&store.CorruptError{Ref: ref, Err: errors.New("bad")}, errors.New("a link")), otherMissing: false},
	} {
		t.Run(name, func(t *testing.T) {
			counts := storecount.New(raw)
			l := &listedReads{Store: counts}
			listed := store.Raw{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "c"}, Data: []byte(`{"type":"listed"}`)}
			l.load([]store.Raw{listed}, tc.err)
			got := &secret.Secret{}
			require.NoError(t, l.Get(l.visit(ctx), listed.Ref, got), "what was listed is answered")
			assert.Equal(t, secret.Type("listed"), got.Type)
			require.NoError(t, l.Get(l.visit(ctx), ref, &secret.Secret{}), "the Store answers for it")
			err := l.Get(l.visit(ctx), other, &secret.Secret{})
			assert.ErrorIs(t, err, store.ErrNotFound)
			want := int64(1)
			if !tc.otherMissing {
				want = 2 // the Store was asked
			}
			assert.Equal(t, want, counts.Counts().Of(storecount.Get))
		})
	}
}

// TestListedReads_ReListEndsTheFirstList: a re-list (the watch was
// compacted) follows changes no watch delivered, which nothing forgot, so
// the reconcilers' reads go to the Store again: a Secret deleted meanwhile
// is gone and one created meanwhile exists.
func TestListedReads_ReListEndsTheFirstList(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	gone := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "gone"}, Data: map[string][]byte{"k": []byte("v")}}
	require.NoError(t, raw.Create(ctx, gone))
	m, err := New(Config{Store: raw})
	require.NoError(t, err)
	m.listedOnce = false // as Run starts
	_, err = m.resync(ctx)
	require.NoError(t, err)

	require.NoError(t, raw.Delete(ctx, meta.RefOf(gone), ""))
	born := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "born"}}
	require.NoError(t, raw.Create(ctx, born))
	_, err = m.resync(ctx)
	require.NoError(t, err)

	assert.ErrorIs(t, m.deps.Store.Get(m.listed.visit(ctx), meta.RefOf(gone), &secret.Secret{}), store.ErrNotFound, "deleted before the re-list")
	assert.NoError(t, m.deps.Store.Get(m.listed.visit(ctx), meta.RefOf(born), &secret.Secret{}), "created before the re-list")
}

// TestListedReads_ManagerWritesForgetTheListed: what the Manager writes
// outside reconciles (here Delete and Apply, as a program does right after
// starting Run) is not answered as listed to the visits still queued.
func TestListedReads_ManagerWritesForgetTheListed(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	deleted := testrig.Certificate("ns", "deleted", "ca", "deleted.example.com")
	changed := testrig.Certificate("ns", "changed", "ca", "changed.example.com")
	for _, crt := range []*certificate.Certificate{deleted, changed} {
		require.NoError(t, raw.Create(ctx, crt))
	}
	m, err := New(Config{Store: raw})
	require.NoError(t, err)
	m.listedOnce = false // as Run starts
	_, err = m.resync(ctx)
	require.NoError(t, err)

	require.NoError(t, m.Delete(ctx, meta.RefOf(deleted)))
	again := testrig.Certificate("ns", "changed", "ca", "changed.example.com", "www.changed.example.com")
	require.NoError(t, m.Apply(ctx, again))

	assert.ErrorIs(t, m.deps.Store.Get(m.listed.visit(ctx), meta.RefOf(deleted), &certificate.Certificate{}), store.ErrNotFound,
		"a Certificate the Manager deleted after its list")
	var got certificate.Certificate
	require.NoError(t, m.deps.Store.Get(m.listed.visit(ctx), meta.RefOf(changed), &got))
	assert.Equal(t, again.Spec.DNSNames, got.Spec.DNSNames, "a Certificate the Manager changed after its list")
}

// leaseWatching is a Store offering store.LeaseWatcher, as the etcd store
// does.
type leaseWatching struct{ store.Store }

func (leaseWatching) Lost(store.Lease) <-chan struct{} { return nil }

// TestListedReads_LeaseWatcherFoundThrough: a claim held by a reconcile
// ends when the Store says it is lost (reconcile.Execute finds the
// LeaseWatcher through the Store's wrappers), so neither the reconcilers'
// Store nor the Manager's own hides it (a replica cut off from etcd kept
// finalizing while another took its claim).
func TestListedReads_LeaseWatcherFoundThrough(t *testing.T) {
	m, err := New(Config{Store: leaseWatching{memory.New()}})
	require.NoError(t, err)
	_, ok := store.AsLeaseWatcher(m.deps.Store)
	assert.True(t, ok, "through the reconcilers' Store")
	_, ok = store.AsLeaseWatcher(m.cfg.Store)
	assert.True(t, ok, "through the Manager's Store")
}

// TestListedReads_WriteWhileListingIsForgotten: a write made while Run's
// List is read (an Apply or Delete right after Run started) may come after
// the list read that object, so the list does not answer for it.
func TestListedReads_WriteWhileListingIsForgotten(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	sec := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "s"}, Data: map[string][]byte{"k": []byte("v")}}
	require.NoError(t, raw.Create(ctx, sec))
	l := &listedReads{Store: raw}
	l.begin()
	res, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	require.NoError(t, l.Delete(ctx, meta.RefOf(sec), "")) // after the List read it
	l.load(res.Items, nil)
	assert.ErrorIs(t, l.Get(l.visit(ctx), meta.RefOf(sec), &secret.Secret{}), store.ErrNotFound)
}

// TestListedReads_EndedTakesNoLock: once the list has ended, every read and
// write of a running Manager passes through listedReads; none of them waits
// for its lock (here held for ever), nor before a list was loaded.
func TestListedReads_EndedTakesNoLock(t *testing.T) {
	for name, phase := range map[string]func(l *listedReads){
		"never listed": func(*listedReads) {},
		"ended": func(l *listedReads) {
			l.begin()
			l.load(nil, nil)
			l.end()
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := testrig.Context(t)
			l := &listedReads{Store: memory.New()}
			phase(l)
			sec := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "s"}, Data: map[string][]byte{"k": []byte("v")}}
			l.mu.Lock()
			defer l.mu.Unlock()
			done := make(chan error, 1)
			go func() {
				if err := l.Create(ctx, sec); err != nil {
					done <- err
					return
				}
				done <- l.Get(l.visit(ctx), meta.RefOf(sec), &secret.Secret{})
			}()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-ctx.Done():
				t.Fatal("a read or write waited for the lock of a list that is not answering")
			}
		})
	}
}

// TestListedReads_AVisitNeverReadsBackInTime: another Manager writing the
// same Store (a replica) issues a certificate after this Manager's list,
// and the watch has not delivered it yet. A visit that read the
// Certificate from the Store (ahead of the watch) must not then be told
// that its Secret does not exist as the list saw it: that visit issued the
// certificate a second time. A visit that reads nothing from the Store
// keeps the list's view, which is consistent at the watch's position.
func TestListedReads_AVisitNeverReadsBackInTime(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	crt := testrig.Certificate("ns", "web", "ca", "web.example.com")
	other := testrig.Certificate("ns", "other", "ca", "other.example.com")
	for _, c := range []*certificate.Certificate{crt, other} {
		require.NoError(t, raw.Create(ctx, c))
	}
	res, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	counts := storecount.New(raw)
	l := &listedReads{Store: counts}
	l.load(res.Items, nil)
	secretRef := func(c *certificate.Certificate) meta.Ref {
		return meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: c.Spec.SecretName}
	}

	// The first visit reads the Certificate from the list, as it was.
	require.NoError(t, l.Get(l.visit(ctx), meta.RefOf(crt), &certificate.Certificate{}))
	// The replica issues both certificates: their Secrets, then their status.
	for _, c := range []*certificate.Certificate{crt, other} {
		require.NoError(t, raw.Create(ctx, &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: c.Spec.SecretName}}))
		require.NoError(t, raw.Get(ctx, meta.RefOf(c), c))
		c.Status.Revision = new(int)
		*c.Status.Revision = 1
		require.NoError(t, raw.Update(ctx, c))
	}

	visit := l.visit(ctx)
	var got certificate.Certificate
	require.NoError(t, l.Get(visit, meta.RefOf(crt), &got), "read once already: the Store answers")
	require.NotNil(t, got.Status.Revision, "the Store's answer is the replica's")
	assert.NoError(t, l.Get(visit, secretRef(crt), &secret.Secret{}),
		"the Secret written before the Certificate the visit read exists for it")

	visit = l.visit(ctx)
	got = certificate.Certificate{}
	require.NoError(t, l.Get(visit, meta.RefOf(other), &got))
	assert.Nil(t, got.Status.Revision, "answered by the list, as it was")
	assert.ErrorIs(t, l.Get(visit, secretRef(other), &secret.Secret{}), store.ErrNotFound,
		"and so is the Secret: one view, as of the watch's position")

	visit = l.visit(ctx)
	_, err = l.List(visit, store.ListOptions{Kind: meta.KindSecret})
	require.NoError(t, err)
	before := counts.Counts().Of(storecount.Get)
	assert.NoError(t, l.Get(visit, secretRef(other), &secret.Secret{}), "a List is the Store's too")
	assert.Equal(t, before+1, counts.Counts().Of(storecount.Get))
}

// TestListedReads_PresenceKeepsTheVisitOnTheList: of a CertificateRequest
// the list keeps only its version, and the Store is read; found unchanged,
// it is what the list would have answered, so the visit's next reads are
// still the list's (a restart on 100k certificates reads each one's
// request); found changed, the visit has read ahead, and the Store answers
// the rest.
func TestListedReads_PresenceKeepsTheVisitOnTheList(t *testing.T) {
	ctx := testrig.Context(t)
	raw := memory.New()
	for _, name := range []string{"same", "changed"} {
		require.NoError(t, raw.Create(ctx, &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name}}))
		require.NoError(t, raw.Create(ctx, &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name}}))
	}
	res, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	counts := storecount.New(raw)
	l := &listedReads{Store: counts}
	l.load(res.Items, nil)
	changed := &request.CertificateRequest{}
	requestRef := func(name string) meta.Ref {
		return meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: name}
	}
	secretRef := func(name string) meta.Ref { return meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: name} }
	require.NoError(t, raw.Get(ctx, requestRef("changed"), changed))
	changed.ObjectMeta.Labels = map[string]string{"by": "a replica"}
	require.NoError(t, raw.Update(ctx, changed))

	gets := func() int64 { return counts.Counts().Of(storecount.Get) }
	visit := l.visit(ctx)
	require.NoError(t, l.Get(visit, requestRef("same"), &request.CertificateRequest{}))
	require.Equal(t, int64(1), gets(), "the Store holds the request")
	require.NoError(t, l.Get(visit, secretRef("same"), &secret.Secret{}))
	assert.Equal(t, int64(1), gets(), "unchanged: the list answers the rest of the visit")

	visit = l.visit(ctx)
	require.NoError(t, l.Get(visit, requestRef("changed"), &request.CertificateRequest{}))
	require.NoError(t, l.Get(visit, secretRef("changed"), &secret.Secret{}))
	assert.Equal(t, int64(3), gets(), "changed since the list: the Store answers the rest of the visit")
}

// TestListedReads_FreshReadIsTheStores: reconcile's check that an object is
// still the version decided on, before a plan creates children without
// writing it (an ACME Issuer's account key), reads the Store itself. The
// list answers Issuers for every visit, so that check, answered there,
// compared the listed version with itself, and a change a replica made
// since (not yet delivered by the watch) went unseen.
func TestListedReads_FreshReadIsTheStores(t *testing.T) {
	ctx := testrig.Context(t)
	raw, l, ref, changed := listedThenChanged(ctx, t)

	visit := l.visit(ctx)
	decided := &issuer.Issuer{}
	require.NoError(t, l.Get(visit, ref, decided))
	require.NotEqual(t, changed.GetMeta().ResourceVersion, decided.GetMeta().ResourceVersion, "decided on the listed version")
	key := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "account-key"}}
	_, err := reconcile.ExecuteOutcome(visit, reconcile.Deps{Store: l, Owner: "a"},
		reconcile.Plan{Object: decided, Create: []meta.Object{key}})
	require.ErrorIs(t, err, store.ErrConflict, "the Store's version is not the one decided on")
	assert.ErrorIs(t, raw.Get(ctx, meta.RefOf(key), &secret.Secret{}), store.ErrNotFound, "nothing created on it")

	again := &issuer.Issuer{}
	require.NoError(t, l.Get(visit, ref, again))
	assert.Equal(t, changed.GetMeta().ResourceVersion, again.GetMeta().ResourceVersion, "after a fresh read the Store answers the visit")
	require.NoError(t, l.Get(l.visit(ctx), ref, again))
	assert.Equal(t, decided.GetMeta().ResourceVersion, again.GetMeta().ResourceVersion, "another visit still reads the list")
}

// listedThenChanged lists an Issuer into l, then changes it in raw, as a
// replica would while the list still answers: changed is the Store's
// version, not the list's.
func listedThenChanged(ctx context.Context, t *testing.T) (raw *memory.Store, l *listedReads, ref meta.Ref, changed *issuer.Issuer) {
	t.Helper()
	raw = memory.New()
	iss := testrig.CAIssuer("ns", "ca", "a")
	require.NoError(t, raw.Create(ctx, iss))
	res, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	l = &listedReads{Store: raw}
	l.load(res.Items, nil)
	ref = meta.RefOf(iss)
	changed = &issuer.Issuer{}
	require.NoError(t, raw.Get(ctx, ref, changed))
	changed.GetMeta().Labels = map[string]string{"by": "a replica"}
	require.NoError(t, raw.Update(ctx, changed))
	return raw, l, ref, changed
}
