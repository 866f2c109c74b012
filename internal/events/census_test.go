package events

import (
	"context"
	"errors"
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

// After the sweep's census, an object's first Event is created without
// listing that object's Events: on a Store without a label index each such
// list reads every Event, so n objects cost O(n²). The sweep's own list is
// the only one.
func TestWriter_CensusSparesTheFirstEventsList(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := storecount.New(memory.New(memory.WithClock(clk)))
	w := newWriter(t, st, clk, nil)
	w.sweep(ctx)
	const objects = 50
	for i := range objects {
		obj := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("c", i)}
		w.Record(obj, meta.EventNormal, "Issuing", "issuing")
		w.Record(obj, meta.EventNormal, "Issued", "issued")
	}
	w.flush(ctx)
	c := st.Counts()
	assert.Equal(t, int64(2*objects), c.Of(storecount.Create))
	assert.Equal(t, int64(1), c.Of(storecount.List), "lists beyond the sweep's: %s", c)
}

// Without a census (a Writer that never swept) the first Event of an
// object lists its Events, so what an earlier process left is counted.
func TestWriter_WithoutCensusTheFirstEventLists(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := storecount.New(memory.New(memory.WithClock(clk)))
	w := newWriter(t, st, clk, nil)
	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	assert.Equal(t, int64(1), st.Counts().Of(storecount.List))
}

// The census counts what the Store already holds: a new writer finding an
// object at PerObject Events prunes on its next one, whether it learnt the
// count from the sweep or from a list of its own.
func TestWriter_CensusCountsWhatIsStored(t *testing.T) {
	for _, sweep := range []bool{true, false} {
		t.Run(fmt.Sprint("sweep=", sweep), func(t *testing.T) {
			ctx := context.Background()
			clk := clock.NewFake(epoch)
			st := memory.New(memory.WithClock(clk))
			const perObject = 3
			limit := func(o *Options) { o.PerObject = perObject }
			before := newWriter(t, st, clk, limit)
			for i := range perObject {
				before.Record(web, meta.EventNormal, "Step", fmt.Sprint("step ", i))
			}
			before.flush(ctx)
			require.Len(t, stored(t, st, web, clk), perObject)

			w := newWriter(t, st, clk, limit)
			if sweep {
				w.sweep(ctx)
			}
			clk.Advance(1)
			w.Record(web, meta.EventNormal, "Step", "one more")
			w.flush(ctx)
			evs := stored(t, st, web, clk)
			require.Len(t, evs, perObject, "the oldest was pruned")
			assert.Equal(t, "one more", evs[len(evs)-1].Message)
		})
	}
}

// A sweep that cannot read every Event takes no census: first Events list
// again rather than trust counts that may be short.
func TestWriter_AnIncompleteSweepTakesNoCensus(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := storecount.New(failingList{memory.New(memory.WithClock(clk))})
	w := newWriter(t, st, clk, nil)
	w.sweep(ctx)
	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	assert.Equal(t, int64(2), st.Counts().Of(storecount.List), "the sweep's and the first Event's")
}

// failingList refuses to list every Event; a list by label passes.
type failingList struct{ store.Store }

func (f failingList) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if len(opts.Labels) == 0 {
		return store.ListResult{}, errRefused
	}
	return f.Store.List(ctx, opts)
}

// A list of the whole Store handed over by the writer's owner (a Manager
// starting) is the sweep's: the writer lists nothing itself, deletes the
// aged Events found there, takes its census from the others and tracks
// them. Listed reads the Events at once: the owner drops the list right
// after, or a restart held 500 MB of Events beside every other kind.
func TestWriter_SweepsWhatItsOwnerListed(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	before := newWriter(t, raw, clk, func(o *Options) { o.MaxAge = time.Hour })
	old := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "old"}
	before.Record(old, meta.EventNormal, "Issued", "issued")
	before.flush(ctx)
	clk.Advance(2 * time.Hour)
	before.Record(web, meta.EventNormal, "Issued", "issued")
	before.flush(ctx)
	all, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	// An object of another kind, as in a Manager's list: not an Event.
	all.Items = append(all.Items, store.Raw{Ref: meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "web"},
		ResourceVersion: "1", Data: []byte(`{}`)})

	st := storecount.New(raw)
	w := newWriter(t, st, clk, func(o *Options) { o.MaxAge = time.Hour })
	// What the Manager's list says of an unreadable object of another
	// kind: the Events are all there.
	w.Listed(all.Items, errors.Join(&store.CorruptError{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "bad"}}))
	// Listed read what the sweep needs: the caller drops the list (a
	// Manager's start reads it as a Scan hands it over, and keeps no
	// Event's bytes). Cleared here, the sweep still finds every Event.
	clear(all.Items)
	w.sweep(ctx)
	w.expire(ctx)
	c := st.Counts()
	assert.Zero(t, c.Of(storecount.List)+c.Of(storecount.FullList), "the writer listed: %s", c)
	assert.Equal(t, int64(1), c.Of(storecount.Delete), "the aged Event: %s", c)
	assert.Len(t, storedEvents(t, raw), 1, "the recent Event is kept")
	assert.Equal(t, w.expiry(epoch.Add(2*time.Hour)), w.NextSweep(), "the recent one is tracked")

	w.Record(meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "new"}, meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	assert.Zero(t, st.Counts().Of(storecount.List), "the census came from the list: a first Event lists nothing")
}

// A handed-over list that could not read an Event (or failed in a way that
// names no object) takes no census.
func TestListed_CompleteUnlessAnEventIsMissing(t *testing.T) {
	corrupt := func(k meta.Kind) error {
		return &store.CorruptError{Ref: meta.Ref{Kind: k, Namespace: "default", Name: "x"}}
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, true},
		{errors.Join(corrupt(meta.KindSecret), corrupt(meta.KindCertificate)), true},
		{corrupt(meta.KindSecret), true},
		{errors.Join(corrupt(meta.KindSecret), corrupt(meta.KindEvent)), false},
		{corrupt(meta.KindEvent), false},
		{errRefused, false},
		{errors.Join(corrupt(meta.KindSecret), errRefused), false},
	} {
		assert.Equal(t, tc.want, eventsComplete(tc.err), "%v", tc.err)
	}
}
