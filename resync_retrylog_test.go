package certflow

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store/memory"
)

// A scan made again because the Store forgot its revision is one WARN
// line, numbering the try that was cut; a scan that is not cut logs none.
func TestResyncLogsAScanMadeAgain(t *testing.T) {
	ctx := t.Context()
	raw := memory.New()
	for i := range 3 {
		require.NoError(t, raw.Create(ctx, &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("r%d", i)}}))
	}
	logs := &testrig.Buffer{}
	st := &compactedOnce{Store: raw}
	m, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)

	_, _, err = m.scanStore(ctx)
	require.NoError(t, err)
	require.True(t, st.failed.Load(), "the test's premise: the first scan was cut")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 1, "one line for the one scan made again:\n%s", logs)
	assert.Regexp(t, `level=WARN msg="store scan cut by a compaction, scanning again" attempt=1 err=".*compacted`, lines[0])

	logs = &testrig.Buffer{}
	m, err = New(Config{Store: raw, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	_, _, err = m.scanStore(ctx)
	require.NoError(t, err)
	assert.Empty(t, logs.String(), "a scan not cut is not logged")
}
