package file_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

const (
	// crashPlacedEnv tells a batch-crash child how many object files its
	// CreateBatch puts in place before it dies.
	crashPlacedEnv = "CERTFLOW_FILESTORE_PLACED"
	// crashBatch is the size of its batch: two turns of the lock.
	crashBatch = 100
)

func crashBatchSecrets() []*storetest.Widget {
	out := make([]*storetest.Widget, crashBatch)
	for i := range out {
		out[i] = newSecret(fmt.Sprintf("b%03d", i))
	}
	return out
}

func objectsOf(ws []*storetest.Widget) []meta.Object {
	out := make([]meta.Object, len(ws))
	for i, w := range ws {
		out[i] = w
	}
	return out
}

// childBatchCrash creates crashBatchSecrets in one CreateBatch and exits,
// without closing the store, as it is about to rename the object file
// after the first crashPlacedEnv into place: a process killed there.
func childBatchCrash(ctx context.Context, dir string) error {
	after, err := strconv.Atoi(os.Getenv(crashPlacedEnv))
	if err != nil {
		return err
	}
	placed := 0
	s, err := file.Open(dir, file.WithPlacing(func(path string) {
		if !strings.HasSuffix(filepath.Dir(path), filepath.Join("objects", "Secret", "ns")) {
			return
		}
		if placed == after {
			os.Exit(crashExit)
		}
		placed++
	}))
	if err != nil {
		return err
	}
	objs := objectsOf(crashBatchSecrets())
	s.CreateBatch(ctx, objs, make([]error, len(objs)))
	return fmt.Errorf("the batch ended without dying, %d files placed", placed)
}

// loggedRevisions returns the revision of each change record in the change
// log, by object name, and the last revision.
func loggedRevisions(t *testing.T, dir string) (map[string]uint64, uint64) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "changes.log"))
	require.NoError(t, err)
	defer f.Close()
	out := map[string]uint64{}
	var last uint64
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		var r struct {
			Rev  uint64
			Type store.EventType
			Ref  *meta.Ref
		}
		require.NoError(t, json.Unmarshal(lines.Bytes(), &r), "%s", lines.Bytes())
		if r.Type == "" { // the header
			last = r.Rev
			continue
		}
		require.Greater(t, r.Rev, last, "revisions increase")
		last = r.Rev
		out[r.Ref.Name] = r.Rev
	}
	require.NoError(t, lines.Err())
	return out, last
}

// A process that dies in the middle of a CreateBatch leaves what a crash
// in the middle of Create leaves, for up to a turn's objects: the records
// of the turn it was in, durable before any of its files was placed, the
// files it placed, and temporary files for the rest. The next Open looks
// at every file and removes the temporary files (which hold private
// keys); every object stored is one the log records, with the revision
// it records; the same batch again creates what is missing, above every
// revision logged; and nothing was written outside the store or left
// readable by others.
func TestCreateBatchCrashHalfWayReopensConsistentAndResumes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		placed int
	}{
		{"after logging its first turn, before placing a file", 0},
		{"half-way through placing its second turn", 80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			parent := t.TempDir()
			dir := filepath.Join(parent, "store")
			s, err := file.Open(dir)
			require.NoError(t, err)
			before := newSecret("before")
			require.NoError(t, s.Create(ctx, before))
			require.NoError(t, s.Close())

			cmd := childCmd(ctx, "batch-crash", dir)
			cmd.Env = append(cmd.Env, crashPlacedEnv+"="+strconv.Itoa(tc.placed))
			var exit *exec.ExitError
			require.True(t, errors.As(cmd.Run(), &exit), "the child died")
			require.Equal(t, crashExit, exit.ExitCode())

			turnEnd := min(crashBatch, (tc.placed/file.BatchTurn+1)*file.BatchTurn)
			nsDir := filepath.Join(dir, "objects", "Secret", "ns")
			logged, last := loggedRevisions(t, dir)
			require.Len(t, logged, 1+turnEnd, "every record of the turns begun")
			assert.Equal(t, rv(t, before)+uint64(turnEnd), last)
			assert.Len(t, temporaryFiles(t, nsDir), turnEnd-tc.placed, "the files not placed")

			log, said := newLogger()
			s = openStore(t, dir, file.WithLogger(log), file.WithPollInterval(testPoll))
			assert.Contains(t, said.String(), "ended without closing the store")
			assert.Empty(t, temporaryFiles(t, nsDir), "removed by Open")

			list, err := s.List(ctx, store.ListOptions{Kind: meta.KindSecret})
			require.NoError(t, err)
			assert.Len(t, list.Items, 1+tc.placed)
			secrets := crashBatchSecrets()
			for i, w := range secrets {
				got := &storetest.Widget{}
				err := s.Get(ctx, w.Ref(), got)
				if i >= tc.placed {
					assert.ErrorIs(t, err, store.ErrNotFound, "%s was not placed", w.Ref())
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, logged[w.Metadata.Name], rv(t, got), "%s: the revision its record has", w.Ref())
				assert.Equal(t, privateKey, got.Data["tls.key"])
			}

			errs := make([]error, crashBatch)
			s.CreateBatch(ctx, objectsOf(secrets), errs)
			next := last
			for i, w := range secrets {
				if i < tc.placed {
					assert.ErrorIs(t, errs[i], store.ErrAlreadyExists, "%s", w.Ref())
					continue
				}
				require.NoError(t, errs[i], "%s", w.Ref())
				next++
				assert.Equal(t, next, rv(t, w), "%s: above every revision logged", w.Ref())
			}
			ch, err := s.Watch(ctx, rv(t, before))
			require.NoError(t, err)
			for want := rv(t, before) + 1; want <= next; want++ {
				select {
				case ev := <-ch:
					require.NoError(t, ev.Err)
					require.Equal(t, want, ev.Revision, "the log goes on without a gap")
					assert.Equal(t, store.Added, ev.Type)
				case <-ctx.Done():
					t.Fatalf("watch stopped before revision %d", want)
				}
			}

			outside, err := os.ReadDir(parent)
			require.NoError(t, err)
			require.Len(t, outside, 1, "nothing beside the store")
			assertPrivate(t, dir)
		})
	}
}

func temporaryFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// assertPrivate checks that every directory under dir is 0700 and every
// file 0600.
func assertPrivate(t *testing.T, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return // mode bits say nothing about access there
	}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := d.Info()
		require.NoError(t, err)
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		assert.Equal(t, want, fi.Mode().Perm(), "%s", path)
		return nil
	}))
}
