package etcd

import (
	"context"
	"math"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
)

// pageBound makes gRPC refuse, before decoding it, an answer to a page
// of a List (or a Scan) larger than bound bytes: a page is sized from
// the objects before it, and the page where they turn larger would
// otherwise be received whole however far past its target it went. A
// refused page is asked for again in halves (pager.next). The client's
// own receive limit (clientv3.Config.MaxCallRecvMsgSize), seen on each
// request, is kept when it is lower, and noted so pages are sized within
// it.
type pageBound struct {
	pb.KVClient
	bound       int // 0: only the client's limit
	clientLimit int // the client's receive limit, once a page was asked for
}

// boundedKV returns the KV a growing List (or Scan) reads its pages
// through, and its bound; nil when the store did not dial its client
// itself. A Config.Client is read through its own KV whatever it is: its
// KV may be clientv3's type over a remote of the caller's
// (NewKVFromKVClient, as etcd's in-process v3client makes, with no gRPC
// connection at all), so only a client the store dialled is known to be
// RetryKVClient over its connection.
func (s *Store) boundedKV() (clientv3.KV, *pageBound) {
	if !s.ownClient {
		return s.client.KV, nil
	}
	b := &pageBound{KVClient: clientv3.RetryKVClient(s.client), bound: int(min(s.pageBytes, math.MaxInt32))}
	return clientv3.NewKVFromKVClient(b, s.client), b
}

// Range asks for a page with bound as its receive limit, unless the
// client's is lower.
func (b *pageBound) Range(ctx context.Context, in *pb.RangeRequest, opts ...grpc.CallOption) (*pb.RangeResponse, error) {
	b.clientLimit = math.MaxInt32 // gRPC's (and clientv3's) default
	for _, o := range opts {
		if m, ok := o.(grpc.MaxRecvMsgSizeCallOption); ok {
			b.clientLimit = m.MaxRecvMsgSize
		}
	}
	if b.bound > 0 && b.bound < b.clientLimit {
		opts = append(opts[:len(opts):len(opts)], grpc.MaxCallRecvMsgSize(b.bound))
	}
	return b.KVClient.Range(ctx, in, opts...)
}

// limit is the most bytes a page is received with.
func (b *pageBound) limit() int {
	if b.bound > 0 && b.bound < b.clientLimit {
		return b.bound
	}
	return b.clientLimit
}
