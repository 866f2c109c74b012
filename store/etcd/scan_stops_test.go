package etcd_test

import (
	"context"
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

// A kind's stops are collected across every namespace, but a run (one of
// keyOrderRuns) reads only its own namespaces: each run's requests end at
// the stops inside its range alone, so a Scan whose kind has stops in
// several runs ("a-b" is read before "a" in the keys, after it in List)
// still hands over exactly what List returns, in its order, with or
// without a filter.
func TestScanStopsStayInsideTheirRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	s := openStore(t, srv, etcd.Config{})
	// In the keys' order: a-b's widgets, then a's (the first stop among
	// them), then b's (the second).
	perNamespace := map[string]int{"a-b": etcd.ScanStopEvery * 3 / 4, "a": etcd.ScanStopEvery * 5 / 4, "b": etcd.ScanStopEvery * 3 / 4}
	for ns, n := range perNamespace {
		createWidgets(ctx, t, s, ns, n, "")
		for i := range 3 {
			require.NoError(t, s.Create(ctx, &storetest.Widget{Kind: meta.KindIssuer, Metadata: meta.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("w%05d", i*100)}}))
		}
	}

	for _, opts := range []store.ListOptions{
		{},
		{Namespace: "a"},
		{Namespace: "a-b"},
		{Kind: storetest.KindWidget},
		{Kind: storetest.KindWidget, Namespace: "b"},
	} {
		res, err := s.List(ctx, opts)
		require.NoError(t, err)
		var got []store.Raw
		rev, err := s.Scan(ctx, opts, func(raw store.Raw) error { got = append(got, raw); return nil })
		require.NoError(t, err)
		assert.Equal(t, res.Revision, rev)
		require.Equal(t, len(res.Items), len(got), "objects handed over with %+v", opts)
		for i := range got {
			require.Equal(t, res.Items[i].Ref, got[i].Ref, "object %d with %+v: in List's order, each once", i, opts)
		}
	}
}
