package memory

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// A Secret's labels, annotations and data are kept packed, not as maps,
// and every reader sees the maps: Get (its own copies), List (the
// encoding, and selection by label), and the watch (the event's metadata).
func TestMapsArePackedAndEveryReaderSeesThem(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := New()
	ch, err := s.Watch(ctx, 0)
	require.NoError(t, err)
	in := &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "a", Labels: map[string]string{"app": "web", "tier": "1"},
			Annotations: map[string]string{"b": "2", "a": "1", "empty": ""}},
		Data: map[string][]byte{"tls.crt": []byte("crt"), "tls.key": []byte("key"), "empty": {}, "nil": nil},
	}
	require.NoError(t, s.Create(ctx, in))
	ref := meta.RefOf(in)
	want := &secret.Secret{}
	data, err := json.Marshal(in)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, want))

	require.NotNil(t, s.objects[ref.Kind].get(ref).codec(), "kept in a slab")

	got := &secret.Secret{}
	require.NoError(t, s.Get(ctx, ref, got))
	assert.Equal(t, want, got)
	got.Data["tls.key"][0] = 'X'
	got.ObjectMeta.Labels["app"] = "changed"
	again := &secret.Secret{}
	require.NoError(t, s.Get(ctx, ref, again))
	assert.Equal(t, want, again, "a Get's maps and bytes are its own")

	res, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret, Labels: map[string]string{"app": "web", "tier": "1"}})
	require.NoError(t, err)
	require.Len(t, res.Items, 1, "found by its packed labels")
	assert.JSONEq(t, string(data), string(res.Items[0].Data))
	res, err = s.List(ctx, store.ListOptions{Labels: map[string]string{"app": "web", "tier": "2"}})
	require.NoError(t, err)
	assert.Empty(t, res.Items)

	select {
	case ev := <-ch:
		assert.Equal(t, want.ObjectMeta.Labels, ev.Meta.Labels)
		assert.Equal(t, want.ObjectMeta.Annotations, ev.Meta.Annotations)
	case <-ctx.Done():
		require.FailNow(t, "no watch event")
	}

	in.ObjectMeta.Labels = map[string]string{"app": "db"}
	require.NoError(t, s.Update(ctx, in))
	for sel, n := range map[string]int{"web": 0, "db": 1} {
		res, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret, Labels: map[string]string{"app": sel}})
		require.NoError(t, err)
		assert.Len(t, res.Items, n, "app=%s after the labels changed", sel)
	}
}
