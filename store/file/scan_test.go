package file_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// A Scan over more files than it reads at once (two kinds interleaved by
// name, across its chunks) hands over what List returns, in its order,
// and reports the corrupt files List reports, each named, handing over
// the others.
func TestScanReportsCorruptFilesAsList(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir, file.WithoutSync())
	const n = 1300
	var ws []*storetest.Widget
	for i := range n {
		w := storetest.NewWidget("ns", fmt.Sprintf("w%05d", i), nil)
		require.NoError(t, s.Create(ctx, w))
		ws = append(ws, w)
		if i%3 == 0 {
			require.NoError(t, s.Create(ctx, &storetest.Widget{Kind: meta.KindIssuer, Metadata: meta.ObjectMeta{Namespace: "ns", Name: w.Metadata.Name}}))
		}
	}
	corrupt := []int{3, 1025, n - 1}
	for _, i := range corrupt {
		require.NoError(t, os.WriteFile(objectFile(dir, ws[i]), []byte(`{"kind":`), 0o600))
	}

	res, listErr := s.List(ctx, store.ListOptions{})
	require.ErrorIs(t, listErr, store.ErrCorrupt)
	var got []store.Raw
	rev, err := s.Scan(ctx, store.ListOptions{}, func(raw store.Raw) error {
		got = append(got, raw)
		return nil
	})
	require.ErrorIs(t, err, store.ErrCorrupt)
	assert.Equal(t, res.Revision, rev)
	for _, i := range corrupt {
		assert.Contains(t, err.Error(), objectFile(dir, ws[i]), "names the corrupt file")
	}
	assert.ElementsMatch(t, unwrapAll(listErr), unwrapAll(err), "the errors List reports")
	require.Equal(t, len(res.Items), len(got))
	assert.Equal(t, n-len(corrupt)+(n+2)/3, len(got))
	for i := range got {
		assert.Equal(t, res.Items[i].Ref, got[i].Ref, "in List's order")
		assert.Equal(t, res.Items[i].ResourceVersion, got[i].ResourceVersion)
		assert.Equal(t, string(res.Items[i].Data), string(got[i].Data))
	}
}

// unwrapAll returns the texts of the errors err joins.
func unwrapAll(err error) []string {
	var out []string
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}
