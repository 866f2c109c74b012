package etcd_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/storetest"
)

// A Scan paging two kinds of one namespace through small pages hands over
// what List returns, at the revision it read first (a write made after
// its first page is not handed over), and reports the corrupt values List
// reports.
func TestScanReadsOneRevisionAndReportsCorruptValues(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{Prefix: "/scan/", PageSize: 2})
	for i := range 7 {
		require.NoError(t, st.Create(ctx, storetest.NewWidget("ns", fmt.Sprintf("w%d", i), nil)))
		if i%2 == 0 {
			require.NoError(t, st.Create(ctx, &storetest.Widget{Kind: meta.KindIssuer, Metadata: meta.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("w%d", i)}}))
		}
	}
	admin, err := srv.Client()
	require.NoError(t, err)
	_, err = admin.Put(ctx, "/scan/objects/Widget/ns/w3", "not a value")
	require.NoError(t, err)

	res, listErr := st.List(ctx, store.ListOptions{})
	require.ErrorIs(t, listErr, store.ErrCorrupt)
	var got []store.Raw
	rev, err := st.Scan(ctx, store.ListOptions{}, func(raw store.Raw) error {
		if len(got) == 0 {
			// Written after the revision the Scan reads at.
			_, perr := admin.Put(ctx, "/scan/objects/Widget/ns/w5", "not a value either")
			require.NoError(t, perr)
			require.NoError(t, st.Create(ctx, storetest.NewWidget("ns", "w9", nil)))
		}
		got = append(got, raw)
		return nil
	})
	require.ErrorIs(t, err, store.ErrCorrupt)
	var ce *store.CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "w3", ce.Ref.Name)
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	assert.Len(t, joined.Unwrap(), 1, "only the value corrupt at the revision read")
	assert.Equal(t, res.Revision, rev)
	require.Equal(t, len(res.Items), len(got))
	for i := range got {
		assert.Equal(t, res.Items[i].Ref, got[i].Ref, "in List's order")
		assert.Equal(t, res.Items[i].ResourceVersion, got[i].ResourceVersion)
	}
}
