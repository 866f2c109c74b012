package events

import (
	"context"
	"strings"
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

// The queue keeps a decimal version as a number and any other as a hash:
// the number gives the version back, the hash only tells whether a
// version is the same.
func TestVersionCode(t *testing.T) {
	var x expiries
	seed := x.seedOf()
	for _, rv := range []string{"0", "1", "42", "9223372036854775807"} {
		code := versionCode(seed, rv)
		got, ok := versionText(code)
		assert.True(t, ok, rv)
		assert.Equal(t, rv, got)
	}
	for _, rv := range []string{"", "007", "+1", "r42", "9223372036854775808", "18446744073709551616", "1e3"} {
		code := versionCode(seed, rv)
		_, ok := versionText(code)
		assert.False(t, ok, rv)
		assert.Equal(t, code, versionCode(seed, rv), "the same version, the same code")
	}
	assert.NotEqual(t, versionCode(seed, "r1"), versionCode(seed, "r2"))
}

// On a Store whose versions are not decimal, an aged Event is read once
// and deleted at the version the writer queued; one written again since
// is kept until its new version ages.
func TestWriter_ExpiresOnAStoreWithOtherVersions(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	raw := memory.New(memory.WithClock(clk))
	st := storecount.New(letteredVersions{raw})
	w := newWriter(t, st, clk, nil)
	objs := objectsAt(3)
	for _, o := range objs {
		w.Record(o, meta.EventNormal, "Issued", "issued")
	}
	w.flush(ctx)
	clk.Advance(time.Minute)
	w.Record(objs[2], meta.EventNormal, "Issued", "issued")
	w.flush(ctx)
	evs := stored(t, st, objs[0], clk)
	require.Len(t, evs, 1)
	var got meta.Event
	require.NoError(t, st.Get(ctx, meta.RefOf(&evs[0]), &got))
	require.True(t, strings.HasPrefix(got.ObjectMeta.ResourceVersion, "r"), "the wrapper's versions")

	before := st.Counts()
	clk.Set(w.expiry(epoch))
	w.expire(ctx)
	calls := st.Counts().Sub(before)
	assert.Equal(t, int64(2), calls.Of(storecount.Get), "%s", calls)
	assert.Equal(t, int64(2), calls.Of(storecount.Delete), "%s", calls)
	assert.Empty(t, stored(t, st, objs[0], clk))
	assert.Empty(t, stored(t, st, objs[1], clk))
	assert.Len(t, stored(t, st, objs[2], clk), 1, "written again: not yet aged")

	clk.Set(w.expiry(epoch.Add(time.Minute)))
	w.expire(ctx)
	assert.Empty(t, storedEvents(t, raw))
	assert.True(t, w.NextSweep().IsZero())
}

// letteredVersions shows the memory store's versions with an "r" before
// them, as a Store whose versions are not numbers would.
type letteredVersions struct{ *memory.Store }

func (l letteredVersions) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	err := l.Store.Get(ctx, ref, into)
	if err == nil {
		into.GetMeta().ResourceVersion = "r" + into.GetMeta().ResourceVersion
	}
	return err
}

// GetMeta letters as Get does: the embedded memory store's own would be
// promoted and answer unlettered versions.
func (l letteredVersions) GetMeta(ctx context.Context, ref meta.Ref, newObject func() meta.Object) (meta.ObjectMeta, error) {
	m, err := l.Store.GetMeta(ctx, ref, newObject)
	if err == nil {
		m.ResourceVersion = "r" + m.ResourceVersion
	}
	return m, err
}

func (l letteredVersions) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	res, err := l.Store.List(ctx, opts)
	for i := range res.Items {
		res.Items[i].ResourceVersion = "r" + res.Items[i].ResourceVersion
	}
	return res, err
}

func (l letteredVersions) Create(ctx context.Context, obj meta.Object) error {
	err := l.Store.Create(ctx, obj)
	if err == nil {
		obj.GetMeta().ResourceVersion = "r" + obj.GetMeta().ResourceVersion
	}
	return err
}

// CreateBatch letters as Create does: the embedded memory store's own
// would be promoted and answer unlettered versions.
func (l letteredVersions) CreateBatch(ctx context.Context, objs []meta.Object, errs []error) {
	for i, obj := range objs {
		errs[i] = l.Create(ctx, obj)
	}
}

func (l letteredVersions) Update(ctx context.Context, obj meta.Object) error {
	m := obj.GetMeta()
	m.ResourceVersion = strings.TrimPrefix(m.ResourceVersion, "r")
	err := l.Store.Update(ctx, obj)
	m.ResourceVersion = "r" + m.ResourceVersion
	return err
}

func (l letteredVersions) Delete(ctx context.Context, ref meta.Ref, rv string) error {
	return l.Store.Delete(ctx, ref, strings.TrimPrefix(rv, "r"))
}
