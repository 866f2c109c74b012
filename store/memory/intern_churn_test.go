package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/canon"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// churnDER is a long value (shared through the table), distinct per test,
// goroutine, object and round, as a renewal's leaf is.
func churnDER(test string, g, obj, round int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%s g%d o%d r%d|", test, g, obj, round)), 6)
}

// Renewals replace every leaf each cycle, with creates that collide,
// stale updates that conflict and readers throughout: the table must not
// keep an old leaf once no entry holds it, else it grows by a leaf a
// renewal for as long as the process runs; and no reader may ever see a
// value other than one written.
func TestInterns_ChurnLeavesTableEmpty(t *testing.T) {
	ctx := context.Background()
	s := New(WithHistory(4))
	const goroutines, objs, rounds = 8, 6, 12
	name := func(g, o int) string { return fmt.Sprintf("g%d-o%d", g, o) }
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range objs {
				sec := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "churn", Name: name(g, o)},
					Data: map[string][]byte{"tls.crt": churnDER(t.Name(), g, o, 0)}}
				assert.NoError(t, s.Create(ctx, sec))
				// The same name again, with a value of its own: it fails.
				dup := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "churn", Name: name(g, o)},
					Data: map[string][]byte{"tls.crt": churnDER(t.Name()+"dup", g, o, 0)}}
				assert.ErrorIs(t, s.Create(ctx, dup), store.ErrAlreadyExists)
				for r := 1; r < rounds; r++ {
					stale := sec.ObjectMeta.ResourceVersion
					sec.Data = map[string][]byte{"tls.crt": churnDER(t.Name(), g, o, r)}
					assert.NoError(t, s.Update(ctx, sec))
					// A write from a stale read (another writer's, with a
					// value of its own) conflicts.
					lost := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "churn", Name: name(g, o), ResourceVersion: stale},
						Data: map[string][]byte{"tls.crt": churnDER(t.Name()+"lost", g, o, r)}}
					assert.ErrorIs(t, s.Update(ctx, lost), store.ErrConflict)
					// Another goroutine's object, as it is now: a value its
					// writer wrote, whole.
					var got secret.Secret
					if err := s.Get(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "churn", Name: name((g+1)%goroutines, o)}, &got); err == nil {
						v := got.Data["tls.crt"]
						assert.True(t, bytes.HasPrefix(v, []byte(fmt.Sprintf("%s g%d o%d r", t.Name(), (g+1)%goroutines, o))), "%q", v)
						v[0] ^= 0xff // a reader's copy is its own
					} else if !errors.Is(err, store.ErrNotFound) {
						assert.NoError(t, err)
					}
				}
			}
			for o := range objs {
				assert.NoError(t, s.Delete(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "churn", Name: name(g, o)}, ""))
			}
		}()
	}
	wg.Wait()
	held := 0
	for g := range goroutines {
		for o := range objs {
			for r := range rounds {
				for _, v := range [][]byte{churnDER(t.Name(), g, o, r), churnDER(t.Name()+"lost", g, o, r), churnDER(t.Name()+"dup", g, o, r)} {
					if _, ok := canon.Lookup(v); ok {
						held++
					}
				}
			}
		}
	}
	assert.Zero(t, held, "values no entry holds stay in the table")
}

// A Store the program lets go lets its values go: unique's map forgot a
// copy at the first collection after its last holder went, and the
// table must not keep one for ever because its holder was never deleted
// (a test, a benchmark round or a restarted Manager making a Store of its
// own each time).
func TestInterns_DiscardedStoreLetsGo(t *testing.T) {
	ctx := context.Background()
	v := churnDER(t.Name(), 0, 0, 0)
	func() {
		s := New()
		require.NoError(t, s.Create(ctx, &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "a"},
			Data: map[string][]byte{"tls.crt": v}}))
		_, ok := canon.Lookup(v)
		require.True(t, ok, "the store's value is in the table")
	}()
	for range 20 { // cleanups run after the collection that finds the Store unreachable
		runtime.GC()
		if _, ok := canon.Lookup(v); !ok {
			return
		}
		runtime.Gosched()
	}
	t.Fatal("a discarded Store's values stay in the table")
}
