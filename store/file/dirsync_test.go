package file

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/storetest"
)

// syncLog records the directories a store fsyncs.
type syncLog struct {
	mu    sync.Mutex
	paths []string
}

func (l *syncLog) add(path string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paths = append(l.paths, path)
}

// take returns what was recorded since the last take.
func (l *syncLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.paths
	l.paths = nil
	return out
}

// TestNewDirectoriesAreDurable checks that every directory the store
// creates is fsynced in its parent, and every directory a file is renamed
// into or removed from is fsynced after.
func TestNewDirectoriesAreDurable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "new", "store")
	synced := &syncLog{}
	s, err := Open(dir, func(o *options) { o.synced = synced.add })
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	got := synced.take()
	assert.Subset(t, got, []string{parent, filepath.Join(parent, "new")}, "the store directory and its new parent")
	assert.Contains(t, got, dir, "objects, leases and the change log")

	secret := &storetest.Widget{Kind: meta.KindSecret, Metadata: meta.ObjectMeta{Namespace: "ns", Name: "tls"}}
	require.NoError(t, s.Create(ctx, secret))
	got = synced.take()
	objects := filepath.Join(dir, "objects")
	assert.Contains(t, got, objects, "the new kind directory")
	assert.Contains(t, got, filepath.Join(objects, "Secret"), "the new namespace directory")
	assert.Contains(t, got, filepath.Join(objects, "Secret", "ns"), "the object file renamed into it")

	require.NoError(t, s.Create(ctx, storetest.NewWidget("ns", "w", nil)))
	require.NoError(t, s.Create(ctx, &storetest.Widget{Kind: meta.KindSecret, Metadata: meta.ObjectMeta{Namespace: "ns", Name: "other"}}))
	got = synced.take()
	assert.Equal(t, 1, countOf(got, filepath.Join(objects, "Secret", "ns")), "only the rename: %q", got)
	assert.NotContains(t, got, filepath.Join(objects, "Secret"), "an existing directory is not made again")

	require.NoError(t, s.Delete(ctx, secret.Ref(), ""))
	assert.Equal(t, []string{filepath.Join(objects, "Secret", "ns")}, synced.take())

	l, err := s.Acquire(ctx, "leader", "me", time.Minute)
	require.NoError(t, err)
	require.NoError(t, s.Release(ctx, l))
	assert.Equal(t, []string{filepath.Join(dir, "leases"), filepath.Join(dir, "leases")}, synced.take(), "lease written, then removed")
}

func countOf(paths []string, p string) int {
	n := 0
	for _, q := range paths {
		if q == p {
			n++
		}
	}
	return n
}
