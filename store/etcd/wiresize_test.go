package etcd

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
)

// kvWireSize counts what a KeyValue adds to a Range answer as protobuf
// encodes it, field by field, without proto.Size's reflection.
func TestKVWireSizeIsTheEncodedSize(t *testing.T) {
	for _, kv := range []*mvccpb.KeyValue{
		{},
		{Key: []byte("/certflow/o/Secret/ns/a")},
		{Key: []byte("k"), Value: make([]byte, 200), CreateRevision: 1, ModRevision: 127, Version: 128},
		{Key: make([]byte, 300), Value: make([]byte, 70000), CreateRevision: math.MaxInt64, ModRevision: 1 << 35, Version: 3, Lease: -1},
	} {
		want := proto.Size(&pb.RangeResponse{Kvs: []*mvccpb.KeyValue{kv}})
		assert.Equal(t, want, kvWireSize(kv), "key %d bytes, value %d bytes", len(kv.Key), len(kv.Value))
	}
}
