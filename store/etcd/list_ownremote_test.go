package etcd_test

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"google.golang.org/grpc"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/storetest"
)

// countingRemote is a caller's own pb.KVClient (auth injection, metrics,
// a grpcproxy adapter) installed with clientv3.NewKVFromKVClient.
type countingRemote struct {
	pb.KVClient
	ranges atomic.Int32
}

func (r *countingRemote) Range(ctx context.Context, in *pb.RangeRequest, opts ...grpc.CallOption) (*pb.RangeResponse, error) {
	r.ranges.Add(1)
	return r.KVClient.Range(ctx, in, opts...)
}

// A Client whose KV is clientv3's own type but over the caller's remote
// must be read through that remote; boundedKV compares only the KV's type
// and reads through RetryKVClient(client) instead, bypassing it.
func TestListReadsThroughTheCallersRemote(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	createWidgets(ctx, t, writer, "ns", 10, "")

	remote := &countingRemote{}
	s := openThrough(t, srv, etcd.Config{}, func(kv pb.KVClient) pb.KVClient { remote.KVClient = kv; return remote })
	before := remote.ranges.Load()
	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	require.Len(t, res.Items, 10)
	require.Greater(t, remote.ranges.Load(), before, "List bypassed the client's KV remote")
}

// etcd's own in-process client (v3client.New, for an embedded server)
// has no gRPC connection: its KV is NewKVFromKVClient over an adapter.
func TestListWithAnEmbeddedServersClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := embed.NewConfig()
	cfg.Dir = t.TempDir()
	lo := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{lo}, []url.URL{lo}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{lo}, []url.URL{lo}
	cfg.InitialCluster = cfg.Name + "=" + lo.String()
	cfg.LogLevel = "error"
	cfg.UnsafeNoFsync = true
	e, err := embed.StartEtcd(cfg)
	require.NoError(t, err)
	defer e.Close()
	select {
	case <-e.Server.ReadyNotify():
	case <-ctx.Done():
		t.Fatal("embedded etcd not ready")
	}
	c := v3client.New(e.Server)
	defer c.Close()
	s, err := etcd.Open(etcd.Config{Client: c})
	require.NoError(t, err)
	defer s.Close()
	w := storetest.NewWidget("ns", "w", map[string]string{"blob": strings.Repeat("x", 10)})
	require.NoError(t, s.Create(ctx, w))
	res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
}
