package memory

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
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

// Concurrent writes (which reuse pooled writers' buffers and the handles
// of the version they replace) leak no content between them: no object
// ever reads back another's content, a failed write's, or its own
// replaced version's. That the writers are reused is
// BenchmarkWriterReuse's to show.
func TestWritesLeakNoContentBetweenThemselves(t *testing.T) {
	ctx := testrig.Context(t)
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

// An update that may take the replaced version's handles reads back a
// changed shared string of the same length with its new content, and an
// unchanged one as it was. (Whether it took the handles, rather than
// looking them up again, cannot show: the handles are the same.)
func TestUpdateReadsBackChangedAndUnchangedSharedStrings(t *testing.T) {
	ctx := context.Background()
	s := New()
	obj := pooledSecret("a", "a")
	require.NoError(t, s.Create(ctx, obj))
	ref := meta.RefOf(obj)
	require.NotEmpty(t, s.objects[ref.Kind].get(ref).slab().shared())

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

// BenchmarkWriterReuse shows what the pool saves a write (run with
// -benchmem): "released" writes a Secret directly and releases its writer
// as every write does; "dropped" leaves the writer to the collector, as
// if there were no pool. B/op and allocs/op differ by the writer and its
// buffers.
func BenchmarkWriterReuse(b *testing.B) {
	obj := pooledSecret("a", "a")
	ref := meta.RefOf(obj)
	c := objectCodecOf(reflect.TypeOf(obj).Elem())
	require.NotNil(b, c)
	for _, release := range []bool{true, false} {
		name := map[bool]string{true: "released", false: "dropped"}[release]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := c.writeDirect(ref, obj, nil, nil)
				if w == nil {
					b.Fatal("the direct encoder declined a Secret")
				}
				if release {
					w.release()
				}
			}
		})
	}
}
