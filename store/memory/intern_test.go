package memory

import (
	"context"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/canon"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// The process's table of canonical copies (intern.go): equal long values
// in two objects are one copy; a copy stays in the table while an entry
// the store holds refers to it (through an update that keeps it), and
// leaves it when none does, and a failed write leaves nothing behind.
func TestInterns_OneCopyWhileHeld(t *testing.T) {
	ctx := context.Background()
	s := New(WithHistory(1))
	// Shared: 64 bytes or more, not PEM; no other test's.
	long := func(c string) []byte { return []byte(strings.Repeat("TestInterns_OneCopyWhileHeld "+c, 4)) }
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
	held := func(v []byte) bool { _, ok := canon.Lookup(v); return ok }
	same := func(a, b strHandle) bool { return unsafe.StringData(a.Value()) == unsafe.StringData(b.Value()) }

	a, b := mk("a", long("x"), "1"), mk("b", long("x"), "1")
	require.NoError(t, s.Create(ctx, a))
	require.NoError(t, s.Create(ctx, b))
	assert.True(t, same(handle("a"), handle("b")), "one copy for both")
	assert.True(t, held(long("x")))

	require.NoError(t, s.Delete(ctx, meta.RefOf(b), ""))
	a.ObjectMeta.Labels["l"] = "2"
	require.NoError(t, s.Update(ctx, a)) // a is the value's only holder
	c := mk("c", long("x"), "1")
	require.NoError(t, s.Create(ctx, c))
	assert.True(t, same(handle("a"), handle("c")), "an update that keeps the value keeps its copy in the table")

	require.ErrorIs(t, s.Create(ctx, mk("c", long("y"), "1")), store.ErrAlreadyExists)
	assert.False(t, held(long("y")), "a failed write's copy is not kept")

	require.NoError(t, s.Delete(ctx, meta.RefOf(a), ""))
	require.NoError(t, s.Delete(ctx, meta.RefOf(c), ""))
	assert.False(t, held(long("x")), "no entry refers to the copy: the table forgets it")
}
