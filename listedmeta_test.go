package certflow

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// A listed issuer's metadata is decoded once for all the visits that ask
// it (every certificate's), not once per visit: a later read costs a copy
// of the metadata, far fewer allocations than decoding the issuer.
func TestListedReads_SharedMetaDecodedOnce(t *testing.T) {
	ctx := testrig.Context(t)
	l, listed := listedIssuer(ctx, t)
	ref := listed.Ref
	newIssuer := func() meta.Object { return &issuer.Issuer{} }

	first, err := l.GetMeta(l.visit(ctx), ref, newIssuer)
	require.NoError(t, err)
	decoded := testing.AllocsPerRun(20, func() {
		obj := newIssuer()
		if err := decodeListed(listed, obj); err != nil {
			t.Fatal(err)
		}
	})
	visit := l.visit(ctx)
	again := testing.AllocsPerRun(20, func() {
		if _, err := l.GetMeta(visit, ref, newIssuer); err != nil {
			t.Fatal(err)
		}
	})
	later, err := l.GetMeta(l.visit(ctx), ref, newIssuer)
	require.NoError(t, err)
	assert.Equal(t, first, later, "every read answers the listed metadata")
	assert.Less(t, again, decoded/2, "a later read decodes the issuer again (%v allocations; a decode makes %v)", again, decoded)
}

// What one read is answered is its own: changing it does not change what
// the next read of the same listed object is answered.
func TestListedReads_SharedMetaAnswersACopy(t *testing.T) {
	ctx := testrig.Context(t)
	l, listed := listedIssuer(ctx, t)
	ref := listed.Ref
	newIssuer := func() meta.Object { return &issuer.Issuer{} }

	first, err := l.GetMeta(l.visit(ctx), ref, newIssuer)
	require.NoError(t, err)
	want := first.ResourceVersion
	first.Labels["mutated"] = "yes"
	first.ResourceVersion = "mutated"

	next, err := l.GetMeta(l.visit(ctx), ref, newIssuer)
	require.NoError(t, err)
	assert.NotContains(t, next.Labels, "mutated")
	assert.Equal(t, want, next.ResourceVersion)
}

// Once a write through the list forgets a listed issuer, its metadata is
// the Store's, though the list had answered it (and kept it) before.
func TestListedReads_SharedMetaForgottenOnWrite(t *testing.T) {
	ctx := testrig.Context(t)
	raw, l, ref, _ := listedThenChanged(ctx, t)
	newIssuer := func() meta.Object { return &issuer.Issuer{} }

	listed, err := l.GetMeta(l.visit(ctx), ref, newIssuer)
	require.NoError(t, err)
	current := &issuer.Issuer{}
	require.NoError(t, raw.Get(ctx, ref, current))
	require.NotEqual(t, current.ObjectMeta.ResourceVersion, listed.ResourceVersion, "the list answered its own version")

	current.ObjectMeta.Labels = map[string]string{"by": "this Manager"}
	require.NoError(t, l.Update(ctx, current))
	got, err := l.GetMeta(l.visit(ctx), ref, newIssuer)
	require.NoError(t, err)
	assert.Equal(t, current.ObjectMeta.ResourceVersion, got.ResourceVersion, "the Store's version after the write")
}

// listedIssuer returns a list answering one labelled issuer, and that
// issuer as listed.
func listedIssuer(ctx context.Context, t *testing.T) (*listedReads, store.Raw) {
	t.Helper()
	raw := memory.New()
	iss := testrig.CAIssuer("ns", "ca", "a")
	iss.ObjectMeta.Labels = map[string]string{"team": "a"}
	require.NoError(t, raw.Create(ctx, iss))
	res, err := raw.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	l := &listedReads{Store: raw}
	l.load(res.Items, nil)
	return l, res.Items[0]
}

// BenchmarkListedIssuerMeta prices a certificate visit's read of its
// issuer's version (issuer.Memo) while the list answers it.
func BenchmarkListedIssuerMeta(b *testing.B) {
	ctx := context.Background()
	raw := memory.New()
	iss := testrig.CAIssuer("ns", "ca", "a")
	if err := raw.Create(ctx, iss); err != nil {
		b.Fatal(err)
	}
	res, err := raw.List(ctx, store.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	l := &listedReads{Store: raw}
	l.load(res.Items, nil)
	ref := meta.RefOf(iss)
	newIssuer := func() meta.Object { return &issuer.Issuer{} }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.GetMeta(l.visit(ctx), ref, newIssuer); err != nil {
			b.Fatal(err)
		}
	}
}
