package etcd_test

import (
	"context"
	"errors"
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

// When fn fails while the next page is being read, the Scan cancels that
// read and returns only once it has ended: no request of a Scan outlives
// it. The read ahead is held until etcd's answer would arrive, which it
// never does here: only its context ending lets it go.
func TestScanEndsItsReadAheadBeforeReturning(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	writer := openStore(t, srv, etcd.Config{})
	createWidgets(ctx, t, writer, "ns", 6, "")

	// The keys and the first page are answered; the second page is held.
	remote := &holdingRemote{answered: 2, held: make(chan struct{}), ended: make(chan struct{}), scanReturned: make(chan struct{})}
	// A request timeout past the test's: only the Scan can end the read.
	s := openThrough(t, srv, etcd.Config{PageSize: 2, RequestTimeout: time.Hour}, func(kv pb.KVClient) pb.KVClient { remote.KVClient = kv; return remote })

	stop := errors.New("enough")
	done := make(chan error, 1)
	go func() {
		_, err := s.Scan(context.Background(), store.ListOptions{}, func(store.Raw) error {
			<-remote.held // the second page is being read
			return stop
		})
		close(remote.scanReturned)
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, stop)
	case <-ctx.Done():
		t.Fatal("the Scan did not return: its read ahead was not cancelled")
	}
	select {
	case <-remote.ended:
	case <-ctx.Done():
		t.Fatal("the held read never ended")
	}
	assert.False(t, remote.outlived.Load(), "a read ahead ran on after the Scan returned")
}

// holdingRemote answers the first answered Range requests and holds the
// ones after them until their context ends; a held one notes whether the
// Scan returned while it was still held.
type holdingRemote struct {
	pb.KVClient
	answered     int32
	count        atomic.Int32
	heldOnce     sync.Once
	held         chan struct{} // closed when the first request is held
	ended        chan struct{} // closed when it returns
	scanReturned chan struct{}
	outlived     atomic.Bool
}

func (r *holdingRemote) Range(ctx context.Context, in *pb.RangeRequest, opts ...grpc.CallOption) (*pb.RangeResponse, error) {
	if r.count.Add(1) <= r.answered {
		return r.KVClient.Range(ctx, in, opts...)
	}
	r.heldOnce.Do(func() { close(r.held) })
	defer close(r.ended) // one request is held: the Scan stops at the first
	<-ctx.Done()
	// A Scan that waits for its reads cannot return before this one
	// does; one that does not returns at once after cancelling it.
	select {
	case <-r.scanReturned:
		r.outlived.Store(true)
	case <-time.After(2 * time.Second):
	}
	return nil, ctx.Err()
}
