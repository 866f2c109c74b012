package etcd_test

import (
	"context"
	"errors"
	"strings"
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

// A List or Scan that etcd compacts under on every attempt fails with an
// error a caller can tell apart (store.ErrCompacted: list again later),
// named as the store's, as the watch's compaction is: List returned
// etcd's own error, bare, which matched neither.
func TestListAndScanCompactedOnEveryAttemptSayErrCompacted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	createWidgets(ctx, t, openStore(t, srv, etcd.Config{}), "ns", 3, "")
	admin, err := clientv3New(srv)
	require.NoError(t, err)
	t.Cleanup(func() { admin.Close() })
	remote := &compactingRemote{admin: admin}
	s := openThrough(t, srv, etcd.Config{PageSize: 1}, func(kv pb.KVClient) pb.KVClient { remote.KVClient = kv; return remote })

	// List starts over on a compaction, up to three times; Scan only
	// while it reads the keys alone, in one page here.
	for _, tc := range []struct {
		name     string
		attempts int32
		read     func() error
	}{
		{"list", 3, func() error { _, err := s.List(ctx, store.ListOptions{}); return err }},
		{"scan", 1, func() error {
			_, err := s.Scan(ctx, store.ListOptions{}, func(store.Raw) error { return nil })
			return err
		}},
	} {
		name := tc.name
		before := remote.compactions.Load()
		err := tc.read()
		require.Error(t, err, name)
		assert.Equal(t, tc.attempts, remote.compactions.Load()-before, "%s: compacted under each of its attempts", name)
		assert.True(t, errors.Is(err, store.ErrCompacted), "%s: %v", name, err)
		assert.True(t, strings.HasPrefix(err.Error(), "etcd: list: "), "%s: %v", name, err)
	}
}

// compactingRemote compacts etcd right after every first page of a read
// (a Range at the current revision), so that the read's next page, at the
// first one's revision, finds it compacted.
type compactingRemote struct {
	pb.KVClient
	admin       *clientv3.Client
	compactions atomic.Int32
}

func (r *compactingRemote) Range(ctx context.Context, in *pb.RangeRequest, opts ...grpc.CallOption) (*pb.RangeResponse, error) {
	resp, err := r.KVClient.Range(ctx, in, opts...)
	if err != nil || in.Revision != 0 {
		return resp, err
	}
	put, perr := r.admin.Put(ctx, "compacting-remote", "x")
	if perr != nil {
		return nil, perr
	}
	if _, cerr := r.admin.Compact(ctx, put.Header.Revision); cerr != nil {
		return nil, cerr
	}
	r.compactions.Add(1)
	return resp, err
}
