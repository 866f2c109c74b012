package events

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// objectsAt returns n Certificate refs.
func objectsAt(n int) []meta.Ref {
	refs := make([]meta.Ref, n)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("c", i)}
	}
	return refs
}

// Events age out one Delete each, by name: no List of every Event
// (which, at 100,000 certificates, reads ~440,000 to delete the few due).
func TestWriter_ExpiresByNameWithoutListing(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := storecount.New(memory.New(memory.WithClock(clk)))
	w := newWriter(t, st, clk, nil)
	objs := objectsAt(30)
	for _, o := range objs[:20] {
		w.Record(o, meta.EventNormal, "Issued", "issued")
	}
	w.flush(ctx)
	clk.Advance(10 * time.Minute)
	for _, o := range objs[20:] {
		w.Record(o, meta.EventNormal, "Issued", "issued")
	}
	w.flush(ctx)
	assert.Equal(t, w.expiry(epoch), w.NextSweep())

	before := st.Counts()
	clk.Set(w.expiry(epoch))
	w.expire(ctx)
	calls := st.Counts().Sub(before)
	assert.Equal(t, int64(20), calls.Of(storecount.Delete), "%s", calls)
	assert.Equal(t, int64(20), calls.Total(), "only the due Events' deletes: %s", calls)
	for i, o := range objs {
		assert.Len(t, stored(t, st, o, clk), map[bool]int{true: 0, false: 1}[i < 20], o.Name)
	}
	assert.Equal(t, w.expiry(epoch.Add(10*time.Minute)), w.NextSweep(), "the later ones are due next")
}

// An Event another replica counted again after this writer wrote it is not
// deleted when this writer's version is due: it is due again later.
func TestWriter_AnEventCountedElsewhereIsKeptUntilItAges(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	a := newWriter(t, st, clk, nil)
	b := newWriter(t, st, clk, func(o *Options) { o.Instance = "b" })
	a.Record(web, meta.EventWarning, "Failed", "the CA said no")
	a.flush(ctx)
	clk.Advance(30 * time.Minute)
	b.Record(web, meta.EventWarning, "Failed", "the CA said no")
	b.flush(ctx)

	clk.Set(a.expiry(epoch))
	a.expire(ctx)
	evs := stored(t, st, web, clk)
	require.Len(t, evs, 1, "counted again since: kept")
	assert.Equal(t, int32(2), evs[0].Count)
	later := a.expiry(epoch.Add(30 * time.Minute))
	assert.Equal(t, later, a.NextSweep(), "due again when its last occurrence ages")

	clk.Set(later)
	a.expire(ctx)
	assert.Empty(t, stored(t, st, web, clk))
}

// An Event deleted by someone else (its object's collector, a prune) costs
// no Store call when it would have aged; one written again by this writer
// is deleted once, at its newest version's expiry.
func TestWriter_ExpiryForgetsWhatIsGoneOrNewer(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := storecount.New(memory.New(memory.WithClock(clk)))
	w := newWriter(t, st, clk, nil)
	gone := meta.Ref{Kind: meta.KindChallenge, Namespace: "default", Name: "web-1-1-1"}
	w.Record(gone, meta.EventNormal, "Presented", "presented")
	w.Record(web, meta.EventNormal, "Issuing", "issuing")
	w.flush(ctx)
	evs := stored(t, st, gone, clk)
	require.Len(t, evs, 1)
	require.NoError(t, st.Delete(ctx, meta.RefOf(&evs[0]), ""))
	w.Deleted(meta.RefOf(&evs[0]), evs[0].ObjectMeta.ResourceVersion)
	clk.Advance(time.Minute)
	w.Record(web, meta.EventNormal, "Issuing", "issuing")
	w.flush(ctx)

	before := st.Counts()
	clk.Set(w.expiry(epoch))
	w.expire(ctx)
	assert.Zero(t, st.Counts().Sub(before).Total(), "nothing is due at the first versions' expiry: %s",
		st.Counts().Sub(before))
	clk.Set(w.expiry(epoch.Add(time.Minute)))
	w.expire(ctx)
	assert.Equal(t, int64(1), st.Counts().Sub(before).Total(), "%s", st.Counts().Sub(before))
	assert.Empty(t, stored(t, st, web, clk))
	assert.True(t, w.NextSweep().IsZero(), "nothing is left to age")
}

// A Store that will not delete an aged Event gets asked again later, not
// in a loop.
func TestWriter_ExpiryRetriesWhatTheStoreRefused(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	st := &refusingDeletes{Store: raw, refuse: true}
	w := newWriter(t, st, clk, nil)
	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	clk.Set(w.expiry(epoch))
	w.expire(ctx)
	require.Len(t, storedEvents(t, raw), 1, "refused")
	retry := clk.Now().Add(w.o.MaxAge / 4)
	assert.Equal(t, retry, w.NextSweep())

	st.refuse = false
	clk.Set(retry)
	w.expire(ctx)
	assert.Empty(t, storedEvents(t, raw))
}

// refusingDeletes fails every Delete while refuse is set.
type refusingDeletes struct {
	store.Store
	refuse bool
}

func (r *refusingDeletes) Delete(ctx context.Context, ref meta.Ref, rv string) error {
	if r.refuse {
		return errRefused
	}
	return r.Store.Delete(ctx, ref, rv)
}

// Events a former process left are found by the start's sweep and age
// out when due, by name; Events stored before they carried no labels (with
// the involved object's labels) are read and aged like the others.
func TestWriter_TheSweepTracksWhatOthersLeft(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	legacy := &meta.Event{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web.0123456789abcdef", OwnerRefs: []meta.Ref{web},
			Labels: map[string]string{"events.certflow.io/involved-kind": "Certificate", "events.certflow.io/involved-name": "web"}},
		Object: web, Type: meta.EventNormal, Reason: "Issued", Message: "issued", Time: epoch, Count: 1,
	}
	require.NoError(t, raw.Create(ctx, legacy))
	st := storecount.New(raw)
	w := newWriter(t, st, clk, nil)
	w.sweep(ctx)
	evs := stored(t, st, web, clk)
	require.Len(t, evs, 1)
	assert.Equal(t, "issued", evs[0].Message)
	assert.Equal(t, w.expiry(epoch), w.NextSweep())

	before := st.Counts()
	clk.Set(w.expiry(epoch))
	w.expire(ctx)
	assert.Equal(t, int64(1), st.Counts().Sub(before).Of(storecount.Delete))
	assert.Zero(t, st.Counts().Sub(before).Of(storecount.List))
	assert.Empty(t, storedEvents(t, raw))
}

// storedEvents lists every stored Event, aged or not.
func storedEvents(t *testing.T, st store.Reader) []store.Raw {
	t.Helper()
	res, err := st.List(context.Background(), store.ListOptions{Kind: meta.KindEvent})
	require.NoError(t, err)
	return res.Items
}

// Once every Event it knew of aged out, a writer holds nothing per object
// or per Event (each issuance names new requests and orders, which would
// otherwise be remembered for ever), and goes on writing as before.
func TestWriter_AnIdleWriterHoldsNothingPerObject(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	w := newWriter(t, st, clk, nil)
	w.sweep(ctx) // a census: counts are kept per object
	for _, o := range objectsAt(10) {
		w.Record(o, meta.EventNormal, "Issued", "issued")
	}
	w.flush(ctx)
	require.Len(t, w.memo.counts, 10)
	clk.Set(w.NextSweep())
	w.expire(ctx)
	assert.Empty(t, storedEvents(t, st))
	assert.Empty(t, w.memo.counts)
	assert.Nil(t, w.exp.latest)

	w.Record(web, meta.EventNormal, "Issued", "issued again")
	w.flush(ctx)
	assert.Len(t, stored(t, st, web, clk), 1)
	assert.Zero(t, w.Dropped())
}

// The aged Events a sweep finds are deleted a batch at a time, so the
// writer goes on writing new events between batches; Run deletes them all.
func TestWriter_AgedEventsAreDeletedInBatches(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	before := newWriter(t, raw, clk, nil)
	for _, o := range objectsAt(2*expireBatch + 10) {
		before.Record(o, meta.EventNormal, "Issued", "issued")
	}
	before.flush(ctx)
	clk.Advance(2 * DefaultMaxAge)

	st := storecount.New(raw)
	w := newWriter(t, st, clk, nil)
	w.sweep(ctx)
	assert.Zero(t, st.Counts().Of(storecount.Delete), "the sweep only lists")
	w.expire(ctx)
	assert.Equal(t, int64(expireBatch), st.Counts().Of(storecount.Delete))
	assert.False(t, w.NextSweep().After(clk.Now()), "more are due at once")

	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); w.Run(rctx) }()
	defer func() { stop(); <-done }()
	select {
	case <-w.Quiet():
	case <-ctx.Done():
		t.Fatal("never quiet")
	}
	assert.Empty(t, storedEvents(t, raw))
	assert.True(t, w.NextSweep().IsZero())
}
