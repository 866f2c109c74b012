package file_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

// A directory large enough to be read on several goroutines lists as one
// read one file after another would: every good object once, in order,
// the corrupt ones named, labels still filtering.
func TestListManyFilesInOneDirectory(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir, file.WithoutSync())
	n := 1300 // several goroutines' worth
	var ws []*storetest.Widget
	for i := range n {
		w := storetest.NewWidget("ns", fmt.Sprintf("w%05d", i), nil)
		w.Metadata.Labels = map[string]string{"parity": fmt.Sprint(i % 2)}
		require.NoError(t, s.Create(ctx, w))
		ws = append(ws, w)
	}
	corrupt := []int{3, 257, n - 1}
	for _, i := range corrupt {
		require.NoError(t, os.WriteFile(objectFile(dir, ws[i]), []byte(`{"kind":`), 0o600))
	}

	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.ErrorIs(t, err, store.ErrCorrupt)
	for _, i := range corrupt {
		assert.Contains(t, err.Error(), objectFile(dir, ws[i]))
	}
	require.Equal(t, n-len(corrupt), len(res.Items))
	want := 0
	for _, it := range res.Items {
		for want == corrupt[0] || want == corrupt[1] || want == corrupt[2] {
			want++
		}
		assert.Equal(t, ws[want].Ref(), it.Ref, "in order")
		assert.Equal(t, ws[want].Metadata.ResourceVersion, it.ResourceVersion)
		got := &storetest.Widget{}
		require.NoError(t, it.Decode(got))
		assert.Equal(t, ws[want].Metadata.Name, got.Metadata.Name)
		want++
	}

	odd, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget, Labels: map[string]string{"parity": "1"}})
	require.Error(t, err)
	for _, it := range odd.Items {
		var i int
		_, scanErr := fmt.Sscanf(it.Ref.Name, "w%05d", &i)
		require.NoError(t, scanErr)
		assert.Equal(t, 1, i%2, it.Ref.Name)
	}
	assert.Equal(t, n/2-len(corrupt), len(odd.Items), "the odd ones but the corrupt ones (all odd)")
}

// Names are listed without looking at each entry; a directory that is
// named like an object file is still a stranger, passed over as before,
// while a link so named is refused.
func TestListPassesOverADirectoryNamedLikeAnObject(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := openStore(t, dir, file.WithoutSync())
	w := storetest.NewWidget("ns", "a", nil)
	require.NoError(t, s.Create(ctx, w))
	stranger := filepath.Join(filepath.Dir(objectFile(dir, w)), "b.json")
	require.NoError(t, os.Mkdir(stranger, 0o700))

	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	assert.Equal(t, w.Ref(), res.Items[0].Ref)

	link := plantLink(t, dir, "objects/"+string(storetest.KindWidget)+"/ns/c.json", objectFile(dir, w))
	res, err = s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.ErrorIs(t, err, file.ErrUnsafePath)
	assert.Contains(t, err.Error(), link)
	assert.Len(t, res.Items, 1)
}
