package manifest_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/manifest"
)

const certificateDoc = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: www, namespace: default}
spec:
  secretName: www-tls
  dnsNames: [www.example.com]
  issuerRef: {name: le}
`

// endless is a manifest that never ends: documents made on demand, so the
// test itself holds none of it. It counts what was read.
type endless struct {
	served int64
	rest   []byte
}

func (e *endless) Read(p []byte) (int, error) {
	if len(e.rest) == 0 {
		e.rest = []byte("---\n" + certificateDoc)
	}
	n := copy(p, e.rest)
	e.rest = e.rest[n:]
	e.served += int64(n)
	return n, nil
}

func requireTooLarge(t *testing.T, err error, limit int64) {
	t.Helper()
	require.ErrorIs(t, err, manifest.ErrTooLarge)
	var tooLarge *manifest.TooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, limit, tooLarge.Limit)
	assert.Contains(t, err.Error(), "limit")
}

func TestDecodeReaderStopsReadingAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []manifest.DecodeOption
		limit int64
	}{
		{"default", nil, manifest.DefaultMaxBytes},
		{"smaller", []manifest.DecodeOption{manifest.MaxBytes(1000)}, 1000},
		{"larger, strict", []manifest.DecodeOption{manifest.MaxBytes(8 << 20), manifest.Strict()}, 8 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &endless{}
			objs, err := manifest.DecodeReader(r, tc.opts...)
			assert.Nil(t, objs)
			requireTooLarge(t, err, tc.limit)
			assert.LessOrEqual(t, r.served, tc.limit+1, "read past the limit")
		})
	}
}

func TestDecodeRefusesAHundredMegabytesUnparsed(t *testing.T) {
	data := bytes.Repeat([]byte("---\n"+certificateDoc), 100<<20/(len(certificateDoc)+4)+1)
	require.Greater(t, len(data), 100<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	objs, err := manifest.Decode(data)
	runtime.ReadMemStats(&after)
	assert.Nil(t, objs)
	requireTooLarge(t, err, manifest.DefaultMaxBytes)
	// Parsing would allocate about ten times the input; a refusal, nothing.
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated")

	_, err = manifest.DecodeStrict(data)
	requireTooLarge(t, err, manifest.DefaultMaxBytes)
}

func TestDecodeAcceptsInputUpToTheLimit(t *testing.T) {
	doc := "---\n" + certificateDoc
	data := strings.Repeat(doc, 4)
	objs, err := manifest.DecodeReader(strings.NewReader(data), manifest.MaxBytes(int64(len(data))))
	require.NoError(t, err)
	assert.Len(t, objs, 4)
	_, err = manifest.DecodeReader(strings.NewReader(data+"\n"), manifest.MaxBytes(int64(len(data))))
	requireTooLarge(t, err, int64(len(data)))
}

func TestDecodeReaderReportsReadErrors(t *testing.T) {
	broken := errors.New("disk on fire")
	_, err := manifest.DecodeReader(io.MultiReader(strings.NewReader(certificateDoc), iotest.ErrReader(broken)))
	require.ErrorIs(t, err, broken)
	assert.NotErrorIs(t, err, manifest.ErrTooLarge)
}
