package events

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// storedVersion is the version the Store holds the Event ref at.
func storedVersion(t *testing.T, st interface {
	Get(context.Context, meta.Ref, meta.Object) error
}, ref meta.Ref) string {
	t.Helper()
	var e meta.Event
	require.NoError(t, st.Get(context.Background(), ref, &e))
	return e.ObjectMeta.ResourceVersion
}

// Version is the version the writer last stored each Event at (created, or
// counted again), the one a sweep found, and nothing once the Event is
// deleted: what its owner's collection deletes the Event at, unread.
func TestWriter_VersionIsTheOneItStored(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	w := newWriter(t, st, clk, nil)
	ref := Ref(web, meta.EventNormal, "Issued", "issued", "certflow")
	_, ok := w.Version(ref)
	assert.False(t, ok, "nothing written yet")

	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	rv, ok := w.Version(ref)
	require.True(t, ok)
	assert.Equal(t, storedVersion(t, st, ref), rv, "created")

	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	again, ok := w.Version(ref)
	require.True(t, ok)
	assert.NotEqual(t, rv, again)
	assert.Equal(t, storedVersion(t, st, ref), again, "counted again")

	// Another replica counts it: this writer does not know that version,
	// and its own is now stale (a delete at it conflicts).
	other := newWriter(t, st, clk, func(o *Options) { o.Instance = "b" })
	require.NoError(t, other.Write(ctx, web, meta.EventNormal, "Issued", "issued"))
	stale, ok := w.Version(ref)
	require.True(t, ok)
	assert.Equal(t, again, stale)
	assert.NotEqual(t, storedVersion(t, st, ref), stale)

	// A writer that starts finds it in its sweep.
	fresh := newWriter(t, st, clk, nil)
	fresh.sweep(ctx)
	found, ok := fresh.Version(ref)
	require.True(t, ok)
	assert.Equal(t, storedVersion(t, st, ref), found, "found by the sweep")

	fresh.Deleted(ref, found)
	_, ok = fresh.Version(ref)
	assert.False(t, ok, "deleted at the version known: nothing known")
}

// On a Store whose versions are not decimal the writer keeps only hashes:
// it does not know the version, so its owner reads the Event first.
func TestWriter_VersionUnknownOnAStoreWithOtherVersions(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	w := newWriter(t, letteredVersions{memory.New(memory.WithClock(clk))}, clk, nil)
	w.Record(web, meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	_, ok := w.Version(Ref(web, meta.EventNormal, "Issued", "issued", "certflow"))
	assert.False(t, ok)
}
