package etcd_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/storetest"
)

// A Scan of objects spread over many namespaces reads each kind in pages
// across them, as List reads every kind: not a range per kind and
// namespace, which cost a request for each (200 namespaces of two kinds,
// an object each: 400 requests where List makes one).
func TestScanRequestsDoNotGrowWithNamespaces(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	const namespaces = 200
	for i := range namespaces {
		ns := fmt.Sprintf("ns%03d", i)
		require.NoError(t, writer.Create(ctx, storetest.NewWidget(ns, "w", nil)))
		require.NoError(t, writer.Create(ctx, &storetest.Widget{Kind: meta.KindIssuer, Metadata: meta.ObjectMeta{Namespace: ns, Name: "w"}}))
	}

	remote := &countingRemote{}
	s := openThrough(t, srv, etcd.Config{PageSize: 500}, func(kv pb.KVClient) pb.KVClient { remote.KVClient = kv; return remote })

	before := remote.ranges.Load()
	n := 0
	_, err := s.Scan(ctx, store.ListOptions{}, func(store.Raw) error { n++; return nil })
	require.NoError(t, err)
	require.Equal(t, 2*namespaces, n)
	// One page of keys, then one page per kind.
	assert.LessOrEqual(t, remote.ranges.Load()-before, int32(4), "requests of a Scan of %d objects in %d namespaces", n, namespaces)
}

// A Scan through a client that refuses large responses reads the keys in
// smaller pages, as List reads the objects: its first page of keys was
// asked for whole, past the client's limit, and the Scan failed where
// List succeeded.
func TestScanKeysWithinTheClientsReceiveLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{Prefix: "/keys/"})
	long := strings.Repeat("n", 200)
	const objects = 400 // some 100 KiB of keys
	for i := range objects {
		require.NoError(t, writer.Create(ctx, storetest.NewWidget("ns", fmt.Sprintf("%s%03d", long, i), nil)))
	}
	cfg := srv.ClientConfig()
	cfg.MaxCallRecvMsgSize = 64 << 10
	small, err := clientv3.New(cfg)
	require.NoError(t, err)
	defer small.Close()
	s, err := etcd.Open(etcd.Config{Client: small, Prefix: "/keys/", PageSize: 50})
	require.NoError(t, err)
	defer s.Close()

	res, err := s.List(ctx, store.ListOptions{})
	require.NoError(t, err)
	require.Len(t, res.Items, objects)
	n := 0
	_, err = s.Scan(ctx, store.ListOptions{}, func(store.Raw) error { n++; return nil })
	require.NoError(t, err)
	assert.Equal(t, objects, n)
}
