package file_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// logLines returns the change log's lines, each decoded as far as its
// revision and type, and fails unless the log is nothing but complete lines.
func logLines(t *testing.T, dir string) []struct {
	Rev  uint64 `json:"rev"`
	Type string `json:"type"`
} {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "changes.log"))
	require.NoError(t, err)
	require.True(t, bytes.HasSuffix(data, []byte("\n")), "the log ends in a complete line: %q", data[max(0, len(data)-80):])
	var out []struct {
		Rev  uint64 `json:"rev"`
		Type string `json:"type"`
	}
	for i, line := range strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n") {
		var r struct {
			Rev  uint64 `json:"rev"`
			Type string `json:"type"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &r), "line %d: %q", i, line)
		out = append(out, r)
	}
	return out
}

// Two stores on one directory (as two processes would be) writing in turn
// append to the log's current end, not to where each last wrote: each
// write is positional, at the end learned under the exclusive lock. Every
// kind of write takes part: Create, Update, Delete and CreateBatch. The log
// ends up as its header and one record per revision, in order, nothing
// overwritten and nothing left between them.
func TestAppendsFromTwoStoresFollowEachOther(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	a := openStore(t, dir, file.WithoutSync())
	b := openStore(t, dir, file.WithoutSync())

	var rev uint64
	took := func(w *storetest.Widget, by string) {
		t.Helper()
		rev++
		assert.Equal(t, rev, rv(t, w), "%s: %s takes the next revision", by, w.Ref())
	}
	batch := func(s *file.Store, ws ...*storetest.Widget) {
		t.Helper()
		objs := make([]meta.Object, len(ws))
		for i, w := range ws {
			objs[i] = w
		}
		errs := make([]error, len(objs))
		s.CreateBatch(ctx, objs, errs)
		for i, w := range ws {
			require.NoError(t, errs[i])
			took(w, "batch")
		}
	}
	stores := []*file.Store{a, b}
	for round := range 6 {
		s, other := stores[round%2], stores[(round+1)%2]
		w := storetest.NewWidget("ns", fmt.Sprintf("w%d", round), nil)
		require.NoError(t, s.Create(ctx, w))
		took(w, "create")
		batch(other,
			storetest.NewWidget("ns", fmt.Sprintf("b%d-0", round), nil),
			storetest.NewWidget("ns", fmt.Sprintf("b%d-1", round), map[string]string{"k": strings.Repeat("v", 40*round)}))
		w.Data = map[string]string{"round": fmt.Sprint(round)}
		require.NoError(t, other.Update(ctx, w))
		took(w, "update")
		require.NoError(t, s.Delete(ctx, w.Ref(), ""))
		rev++ // the deletion's
	}

	lines := logLines(t, dir)
	require.Len(t, lines, int(rev)+1, "a header and one record per revision")
	assert.Equal(t, "", lines[0].Type, "the header comes first")
	for i, l := range lines[1:] {
		assert.Equal(t, uint64(i+1), l.Rev, "line %d", i+1)
		assert.NotEmpty(t, l.Type, "line %d is a change", i+1)
	}
}

// A torn last record longer than the record written next (a crash cut a
// large append short) is cut off before that record is written, whether
// Open or a writer of an open store finds it: records are written at the
// end of the complete lines, so an uncut tail would be left partly
// overwritten after them.
func TestLongTornTailIsCutBeforeTheNextRecord(t *testing.T) {
	torn := `{"rev":99,"type":"Modified","ref":{"kind":"Widget","namespace":"ns","name":"a"},"meta":{"annotations":{"x":"` +
		strings.Repeat("y", 2000)
	for _, found := range []string{"by Open", "by a writer"} {
		t.Run(found, func(t *testing.T) {
			ctx := testCtx(t)
			dir := t.TempDir()
			s := openStore(t, dir, file.WithoutSync())
			w := storetest.NewWidget("ns", "a", nil)
			require.NoError(t, s.Create(ctx, w))
			f, err := os.OpenFile(filepath.Join(dir, "changes.log"), os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteString(torn)
			require.NoError(t, err)
			require.NoError(t, f.Close())

			writer := s
			if found == "by Open" {
				writer = openStore(t, dir, file.WithoutSync())
			}
			require.NoError(t, writer.Update(ctx, w))
			assert.Equal(t, uint64(2), rv(t, w), "the torn record took no revision")
			lines := logLines(t, dir)
			require.Len(t, lines, 3, "the header and two records, nothing of the torn one")
			assert.Equal(t, uint64(2), lines[2].Rev)
		})
	}
}
