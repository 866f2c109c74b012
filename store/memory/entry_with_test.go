package memory

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

// An entry carries up to four handles in its own allocation and more in
// an array of its own (entry_with.go). Across that bound, and through
// updates that change how many a version shares, each version reads back
// its own strings, never the replaced one's, and after collections have
// freed what only replaced versions held (each version's keys are its
// own, so a stale handle would read another version's key).
func TestEntry_HandlesAcrossItsAllocationReadBack(t *testing.T) {
	ctx := context.Background()
	s := New(WithHistory(1))
	labels := func(n, version int) map[string]string {
		if n == 0 {
			return nil
		}
		m := make(map[string]string, n)
		for i := range n {
			// Keys of 8 bytes or more are shared (sharedKeyLen).
			m[fmt.Sprintf("example.com/v%d-key%d", version, i)] = fmt.Sprint(i)
		}
		return m
	}
	c := &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c"},
		Spec:       certificate.Spec{SecretName: "c-tls"},
	}
	ref := meta.RefOf(c)
	require.NoError(t, s.Create(ctx, c))
	for version, n := range []int{1, 2, 3, 4, 5, 6, 4, 0, 3, 1, 5, 2, 4} {
		c.ObjectMeta.Labels = labels(n, version)
		require.NoError(t, s.Update(ctx, c))
		runtime.GC() // the replaced version's handles go, unless still held
		runtime.GC()

		s.mu.RLock()
		e := s.objects[meta.KindCertificate].get(ref)
		s.mu.RUnlock()
		require.Len(t, e.slab().handles(), n, "version %d shares its label keys", version)
		got := &certificate.Certificate{}
		require.NoError(t, s.Get(ctx, ref, got))
		assert.Equal(t, labels(n, version), got.ObjectMeta.Labels, "version %d, %d handles", version, n)
		assert.Equal(t, "c-tls", got.Spec.SecretName, "version %d", version)
	}
}
