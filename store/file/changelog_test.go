package file

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func TestReadLogState(t *testing.T) {
	ref := &meta.Ref{Kind: "W", Namespace: "ns", Name: "a"}
	line := func(rev uint64, annotation string) string {
		r := logRecord{Rev: rev}
		if rev > 10 {
			r.Type, r.Ref = store.Modified, ref
			r.Meta = &meta.ObjectMeta{Name: "a", Annotations: map[string]string{"big": annotation}}
		}
		b, err := encodeLine(r)
		require.NoError(t, err)
		return string(b)
	}
	big := strings.Repeat("x", 3*tailChunk)
	for _, tc := range []struct {
		name    string
		content string
		want    logState
	}{
		{"empty", "", logState{}},
		{"torn header", `{"re`, logState{}},
		{"header only", line(10, ""), logState{size: int64(len(line(10, ""))), rev: 10, compacted: 10, header: true}},
		{"events", line(10, "") + line(11, "") + line(12, ""),
			logState{size: int64(len(line(10, "") + line(11, "") + line(12, ""))), rev: 12, compacted: 10, header: true}},
		{"long last line", line(10, "") + line(11, "") + line(12, big),
			logState{size: int64(len(line(10, "") + line(11, "") + line(12, big))), rev: 12, compacted: 10, header: true}},
		{"torn last line", line(10, "") + line(11, big) + `{"rev":12,"type":"Mo`,
			logState{size: int64(len(line(10, "") + line(11, big))), rev: 11, compacted: 10, header: true}},
		{"no header", line(11, "") + line(12, ""), logState{size: int64(len(line(11, "") + line(12, ""))), rev: 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "changes.log")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			f, err := os.Open(path)
			require.NoError(t, err)
			defer func() { _ = f.Close() }()
			fi, err := f.Stat()
			require.NoError(t, err)
			got, err := readLogState(f, fi)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
