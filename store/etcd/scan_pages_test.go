package etcd_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
)

// A Scan's pages grow as List's do when PageSize is left zero: etcd
// answers every request at some cost, and a restart's Scan of 500k small
// Events in pages of 500 made a thousand of them.
func TestScanPagesGrowLikeList(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	const objects = 4000
	createWidgets(ctx, t, writer, "ns", objects, "")
	s, remote := openRecorded(t, srv)

	n := 0
	_, err := s.Scan(ctx, store.ListOptions{}, func(store.Raw) error { n++; return nil })
	require.NoError(t, err)
	require.Equal(t, objects, n)
	limits := remote.valueRequests(func(r rangeRecord) int64 { return r.limit })
	require.GreaterOrEqual(t, len(limits), 3, "requests for objects")
	assert.Equal(t, []int64{etcd.DefaultPageSize, 2 * etcd.DefaultPageSize, 4 * etcd.DefaultPageSize}, limits[:3], "each page asks for twice the one before (all: %v)", limits)
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

	remote := &signallingRemote{ranged: make(chan struct{}, 64)}
	s := openThrough(t, srv, etcd.Config{PageSize: 2}, func(kv pb.KVClient) pb.KVClient { remote.KVClient = kv; return remote })

	n := 0
	_, err := s.Scan(ctx, store.ListOptions{}, func(store.Raw) error {
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

// Each request a Scan makes for objects ends at the kind's next stop, so
// etcd counts no more keys for it than lie between two stops: a request
// ranging to the end of the kind cost etcd every key left of it, most of
// a restart's CPU in the member (800k objects: 13 s of 40).
func TestScanRequestsEndAtStops(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	objects := 2*etcd.ScanStopEvery + 500
	createWidgets(ctx, t, writer, "ns", objects, "")
	s, remote := openRecorded(t, srv)

	var got []string
	_, err := s.Scan(ctx, store.ListOptions{}, func(raw store.Raw) error { got = append(got, raw.Ref.Name); return nil })
	require.NoError(t, err)
	require.Len(t, got, objects)
	assert.True(t, slices.IsSorted(got), "in List's order")
	assert.Len(t, slices.Compact(got), objects, "each object once")
	counts := remote.valueRequests(func(r rangeRecord) int64 { return r.count })
	require.NotEmpty(t, counts, "requests for objects")
	for _, n := range counts {
		assert.LessOrEqual(t, n, int64(etcd.ScanStopEvery), "keys etcd counted for one request (all: %v)", counts)
	}
}

// openRecorded opens a store on srv through a client whose Range
// requests are recorded.
func openRecorded(t *testing.T, srv *etcdtest.Server) (*etcd.Store, *recordingRemote) {
	t.Helper()
	remote := &recordingRemote{}
	s := openThrough(t, srv, etcd.Config{}, func(kv pb.KVClient) pb.KVClient { remote.KVClient = kv; return remote })
	return s, remote
}

// rangeRecord is one Range request and what etcd answered.
type rangeRecord struct {
	keysOnly     bool
	limit, count int64 // count: the keys etcd counted in the request's range
}

// recordingRemote records the Range requests made through it.
type recordingRemote struct {
	pb.KVClient
	mu      sync.Mutex
	records []rangeRecord
}

func (r *recordingRemote) Range(ctx context.Context, in *pb.RangeRequest, opts ...grpc.CallOption) (*pb.RangeResponse, error) {
	resp, err := r.KVClient.Range(ctx, in, opts...)
	if err == nil {
		r.mu.Lock()
		r.records = append(r.records, rangeRecord{keysOnly: in.KeysOnly, limit: in.Limit, count: resp.Count})
		r.mu.Unlock()
	}
	return resp, err
}

// valueRequests returns field of each request for values (not keys
// alone), in the order they were answered.
func (r *recordingRemote) valueRequests(field func(rangeRecord) int64) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, rec := range r.records {
		if !rec.keysOnly {
			out = append(out, field(rec))
		}
	}
	return out
}
