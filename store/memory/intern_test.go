package memory

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// The store's table of canonical copies (intern.go): equal long values
// in two objects are one copy; a copy stays in the table while an entry
// the store holds refers to it (through an update that keeps it), and
// leaves it when none does, and a failed write leaves nothing behind.
func TestInterns_OneCopyWhileHeld(t *testing.T) {
	ctx := context.Background()
	s := New(WithHistory(1))
	long := func(c string) []byte { return []byte(strings.Repeat(c, 100)) } // shared: 64 bytes or more, not PEM
	mk := func(name string, v []byte, label string) *secret.Secret {
		return &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{"l": label}},
			Data: map[string][]byte{"v": v}}
	}
	handle := func(name string) strHandle {
		t.Helper()
		s.mu.RLock()
		defer s.mu.RUnlock()
		e := s.objects[meta.KindSecret].get(meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: name})
		require.NotNil(t, e, name)
		var found []strHandle
		for _, h := range e.handles() {
			if h.Value() == string(long("x")) || h.Value() == string(long("y")) {
				found = append(found, h)
			}
		}
		require.Len(t, found, 1, name)
		return found[0]
	}
	table := func() int { return s.repeats.strs.len() }
	base := table()

	a, b := mk("a", long("x"), "1"), mk("b", long("x"), "1")
	require.NoError(t, s.Create(ctx, a))
	require.NoError(t, s.Create(ctx, b))
	assert.Same(t, handle("a").c, handle("b").c, "one copy for both")
	assert.Equal(t, base+1, table())

	require.NoError(t, s.Delete(ctx, meta.RefOf(b), ""))
	a.ObjectMeta.Labels["l"] = "2"
	require.NoError(t, s.Update(ctx, a)) // a is the value's only holder
	c := mk("c", long("x"), "1")
	require.NoError(t, s.Create(ctx, c))
	assert.Same(t, handle("a").c, handle("c").c, "an update that keeps the value keeps its copy in the table")

	require.ErrorIs(t, s.Create(ctx, mk("c", long("y"), "1")), store.ErrAlreadyExists)
	assert.Equal(t, base+1, table(), "a failed write's copy is not kept")

	require.NoError(t, s.Delete(ctx, meta.RefOf(a), ""))
	require.NoError(t, s.Delete(ctx, meta.RefOf(c), ""))
	assert.Equal(t, base, table(), "no entry refers to the copy: the table forgets it")
}
