package memory

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// pooledSecret is a Secret whose annotations and data are long enough to
// be shared (handles) and whose content is distinct per tag.
func pooledSecret(name, tag string) *secret.Secret {
	long := strings.Repeat(tag, 80)
	return &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name,
			Annotations: map[string]string{"certflow.io/long-annotation": long, "cert-manager.io/" + tag + "-key": tag}},
		Data: map[string][]byte{"tls.crt": []byte(long + "crt"), "tls.key": []byte(tag)},
	}
}

// TestPooledWritersShareNothing: writes reuse one writer's buffers and
// the handles of the version they replace, and no object ever reads back
// another's content, a failed write's, or its own replaced version's.
func TestPooledWritersShareNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := New()
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := string(rune('a' + i))
			obj := pooledSecret(name, name)
			if !assert.NoError(t, s.Create(ctx, obj)) {
				return
			}
			// A create of an existing object fails after its writer was
			// filled: nothing of it may show.
			assert.ErrorIs(t, s.Create(ctx, pooledSecret(name, "x")), store.ErrAlreadyExists)
			for round := range 20 {
				tag := name + string(rune('0'+round%10))
				next := pooledSecret(name, tag)
				next.ObjectMeta.ResourceVersion = obj.ObjectMeta.ResourceVersion
				if !assert.NoError(t, s.Update(ctx, next)) {
					return
				}
				// A stale update fails too.
				stale := pooledSecret(name, "y")
				stale.ObjectMeta.ResourceVersion = obj.ObjectMeta.ResourceVersion
				assert.ErrorIs(t, s.Update(ctx, stale), store.ErrConflict)
				obj = next
				got := &secret.Secret{}
				if !assert.NoError(t, s.Get(ctx, meta.RefOf(next), got)) {
					return
				}
				want := pooledSecret(name, tag)
				assert.Equal(t, want.ObjectMeta.Annotations, got.ObjectMeta.Annotations)
				assert.Equal(t, want.Data, got.Data)
			}
		})
	}
	wg.Wait()
}

// TestUpdateTakesReplacedHandles: an update takes the replaced version's
// handles only for equal strings: a changed shared string of the same
// length reads back with its new content, an unchanged one as it was.
func TestUpdateTakesReplacedHandles(t *testing.T) {
	ctx := context.Background()
	s := New()
	obj := pooledSecret("a", "a")
	require.NoError(t, s.Create(ctx, obj))
	ref := meta.RefOf(obj)
	require.NotEmpty(t, s.objects[ref.Kind].get(ref).slab.shared())

	next := pooledSecret("a", "a")
	next.ObjectMeta.ResourceVersion = obj.ObjectMeta.ResourceVersion
	changed := strings.Repeat("b", len(obj.Data["tls.crt"]))
	next.Data["tls.crt"] = []byte(changed)
	require.NoError(t, s.Update(ctx, next))

	got := &secret.Secret{}
	require.NoError(t, s.Get(ctx, ref, got))
	assert.Equal(t, changed, string(got.Data["tls.crt"]))
	assert.Equal(t, strings.Repeat("a", 80), got.ObjectMeta.Annotations["certflow.io/long-annotation"])
}
