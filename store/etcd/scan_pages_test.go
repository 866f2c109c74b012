package etcd_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
)

// A Scan's pages grow as List's do when PageSize is left zero: etcd
// counts every key left in the range for each page it answers, and a
// restart's Scan of 500k small Events in pages of 500 cost the member
// most of a minute of CPU. 4,000 objects take pages of 500, 1,000, 2,000
// and 4,000 at most; fixed pages of 500 took 8.
func TestScanPagesGrowLikeList(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	const objects = 4000
	createWidgets(ctx, t, writer, "ns", objects, "")

	c, err := clientv3New(srv)
	require.NoError(t, err)
	defer c.Close()
	remote := &countingRemote{KVClient: clientv3.RetryKVClient(c)}
	c.KV = clientv3.NewKVFromKVClient(remote, c)
	s, err := etcd.Open(etcd.Config{Client: c})
	require.NoError(t, err)
	defer s.Close()

	before := remote.ranges.Load()
	n := 0
	_, err = s.Scan(ctx, store.ListOptions{}, func(store.Raw) error { n++; return nil })
	require.NoError(t, err)
	require.Equal(t, objects, n)
	// One page of keys, then the objects' growing pages.
	assert.LessOrEqual(t, remote.ranges.Load()-before, int32(1+4), "requests of a Scan of %d objects", n)
}

// While a Scan hands over one page, it is already reading the next: the
// member answering and the caller consuming work at the same time. The
// first object's fn waits for the second page's request, which a Scan
// reading a page only once the last is used up never makes.
func TestScanReadsTheNextPageWhileHandingOverOne(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	createWidgets(ctx, t, writer, "ns", 6, "")

	c, err := clientv3New(srv)
	require.NoError(t, err)
	defer c.Close()
	remote := &signallingRemote{KVClient: clientv3.RetryKVClient(c), ranged: make(chan struct{}, 64)}
	c.KV = clientv3.NewKVFromKVClient(remote, c)
	s, err := etcd.Open(etcd.Config{Client: c, PageSize: 2})
	require.NoError(t, err)
	defer s.Close()

	n := 0
	_, err = s.Scan(ctx, store.ListOptions{}, func(store.Raw) error {
		if n == 0 {
			// The keys, the first page, and the second being read.
			for remote.count.Load() < 3 {
				select {
				case <-remote.ranged:
				case <-time.After(10 * time.Second):
					t.Fatalf("the second page was not asked for while the first was handed over (%d requests)", remote.count.Load())
				}
			}
		}
		n++
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 6, n)
}

// signallingRemote counts the Range requests made through it and signals
// each one.
type signallingRemote struct {
	pb.KVClient
	count  atomic.Int32
	ranged chan struct{}
}

func (r *signallingRemote) Range(ctx context.Context, in *pb.RangeRequest, opts ...grpc.CallOption) (*pb.RangeResponse, error) {
	r.count.Add(1)
	select {
	case r.ranged <- struct{}{}:
	default:
	}
	return r.KVClient.Range(ctx, in, opts...)
}
