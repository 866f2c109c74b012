package file_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// TestOpenRemovesWhatACrashLeftBehind plants the temporary files of writes
// cut short (one holds a private key) and an expired lease.
func TestOpenRemovesWhatACrashLeftBehind(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	clk := clock.NewFake(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := file.Open(dir, file.WithClock(clk))
	require.NoError(t, err)
	secret := newSecret("tls")
	require.NoError(t, s.Create(ctx, secret))
	_, err = s.Acquire(ctx, "expired", "crashed-replica", time.Minute)
	require.NoError(t, err)
	live, err := s.Acquire(ctx, "live", "other-replica", time.Hour)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	leftovers := []string{
		filepath.Join(dir, "objects/Secret/ns/.tmp-1234567"),
		filepath.Join(dir, "leases/.tmp-89"),
		filepath.Join(dir, ".tmp-4242"), // a trim of the change log
	}
	for _, p := range leftovers {
		require.NoError(t, os.WriteFile(p, []byte(privateKey), 0o600))
	}
	// What a process killed mid-write leaves: its session file, which
	// nobody holds, tells Open to look at every file.
	dead := filepath.Join(dir, "sessions/s-crashed")
	require.NoError(t, os.WriteFile(dead, nil, 0o600))
	// A stranger's file is not the store's to remove.
	stranger := filepath.Join(dir, "objects/Secret/ns/notes.txt")
	require.NoError(t, os.WriteFile(stranger, []byte("mine"), 0o600))

	clk.Advance(10 * time.Minute)
	log, logged := newLogger()
	s = openStore(t, dir, file.WithClock(clk), file.WithLogger(log))
	for _, p := range leftovers {
		_, err := os.Lstat(p)
		assert.ErrorIs(t, err, os.ErrNotExist, "%s left behind", p)
		assert.Contains(t, logged.String(), p, "the removal is logged")
	}
	assert.NotContains(t, logged.String(), "PRIVATE KEY")
	assert.NoFileExists(t, dead, "the dead session is forgotten once its leftovers are gone")
	_, err = os.Lstat(filepath.Join(dir, "leases/expired.json"))
	assert.ErrorIs(t, err, os.ErrNotExist, "expired lease left behind")
	assert.Contains(t, logged.String(), filepath.Join(dir, "leases/expired.json"))
	_, err = os.Lstat(stranger)
	assert.NoError(t, err)

	_, err = s.Renew(ctx, live)
	assert.NoError(t, err, "a live lease is kept")
	_, err = s.Acquire(ctx, "live", "me", time.Minute)
	assert.ErrorIs(t, err, store.ErrLocked)
	got := &storetest.Widget{}
	require.NoError(t, s.Get(ctx, secret.Ref(), got))
	assert.Equal(t, secret, got)
}
