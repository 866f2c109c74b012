package certflow

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
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
	require.NoError(t, l.Get(ctx, ref("a"), got), "the Store answers before a list is loaded")
	assert.Equal(t, int64(1), gets())

	l.load(res.Items, nil)
	got = &secret.Secret{Type: "left over"}
	require.NoError(t, l.Get(ctx, ref("a"), got))
	assert.Equal(t, []byte("a"), got.Data["k"])
	assert.Empty(t, got.Type, "decoded into a zeroed object, as a Store's Get")
	assert.ErrorIs(t, l.Get(ctx, ref("missing"), &secret.Secret{}), store.ErrNotFound, "not listed: not there")
	for range 2 {
		require.NoError(t, l.Get(ctx, meta.RefOf(iss), iss), "issuers are answered every time")
	}
	assert.Equal(t, int64(1), gets(), "the list answered")

	require.NoError(t, l.Get(ctx, ref("a"), got), "answered once, then by the Store")
	assert.Equal(t, int64(2), gets())

	// A change the watch delivered, and the list's answer is forgotten.
	b := secretOf("b")
	require.NoError(t, raw.Get(ctx, ref("b"), b))
	b.Data["k"] = []byte("b2")
	require.NoError(t, raw.Update(ctx, b))
	l.forget(ref("b"))
	require.NoError(t, l.Get(ctx, ref("b"), got))
	assert.Equal(t, []byte("b2"), got.Data["k"])
	assert.Equal(t, int64(3), gets())

	// Its own writes too, a create of what was not listed included.
	require.NoError(t, l.Create(ctx, secretOf("e")))
	require.NoError(t, l.Get(ctx, ref("e"), got), "created after the list")
	c := secretOf("c")
	require.NoError(t, raw.Get(ctx, ref("c"), c))
	c.Data["k"] = []byte("c2")
	require.NoError(t, l.Update(ctx, c))
	require.NoError(t, l.Get(ctx, ref("c"), got))
	assert.Equal(t, []byte("c2"), got.Data["k"])
	require.NoError(t, l.Delete(ctx, ref("d"), ""))
	assert.ErrorIs(t, l.Get(ctx, ref("d"), got), store.ErrNotFound)
	assert.Equal(t, int64(6), gets())

	l.end()
	require.NoError(t, l.Get(ctx, meta.RefOf(iss), iss))
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
			require.NoError(t, l.Get(ctx, listed.Ref, got), "what was listed is answered")
			assert.Equal(t, secret.Type("listed"), got.Type)
			require.NoError(t, l.Get(ctx, ref, &secret.Secret{}), "the Store answers for it")
			err := l.Get(ctx, other, &secret.Secret{})
			assert.ErrorIs(t, err, store.ErrNotFound)
			want := int64(1)
			if !tc.otherMissing {
				want = 2 // the Store was asked
			}
			assert.Equal(t, want, counts.Counts().Of(storecount.Get))
		})
	}
}
