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
)

// TestGetCopiesDecoded: a Get served from the decoded copy equals decoding
// the stored bytes, and changing what one Get returned changes neither the
// store nor what the next Get returns.
func TestGetCopiesDecoded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := New()
	in := &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "a", Labels: map[string]string{"l": "1"},
			Annotations: map[string]string{"a": "1"}, OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}}},
		Data: map[string][]byte{"tls.key": []byte("key"), "empty": {}},
	}
	require.NoError(t, s.Create(ctx, in))
	ref := meta.RefOf(in)

	first := &secret.Secret{}
	require.NoError(t, s.Get(ctx, ref, first))
	want := &secret.Secret{}
	require.NoError(t, json.Unmarshal(s.objects[ref.Kind][ref].data, want))
	assert.Equal(t, want, first)

	first.ObjectMeta.Labels["l"] = "changed"
	first.ObjectMeta.Annotations["b"] = "new"
	first.ObjectMeta.OwnerRefs[0].Name = "other"
	first.ObjectMeta.CreationTime = nil
	first.Data["tls.key"][0] = 'X'
	first.Data["new"] = []byte("x")

	for range 2 {
		again := &secret.Secret{Data: map[string][]byte{"leftover": nil}}
		require.NoError(t, s.Get(ctx, ref, again))
		assert.Equal(t, want, again)
	}
}
