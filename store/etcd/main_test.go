package etcd_test

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
)

// Every watch and session ends with its store: no goroutine outlives a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clientv3New returns a new client of srv that the test closes itself.
func clientv3New(srv *etcdtest.Server) (*clientv3.Client, error) {
	return clientv3.New(srv.ClientConfig())
}

// openThrough opens a Store with cfg on a client of srv's whose requests
// go through the remote wrap returns for the client's own (wrap sets it
// as the remote's KVClient); both are closed when the test ends.
func openThrough(t *testing.T, srv *etcdtest.Server, cfg etcd.Config, wrap func(pb.KVClient) pb.KVClient) *etcd.Store {
	t.Helper()
	c, err := clientv3New(srv)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.KV = clientv3.NewKVFromKVClient(wrap(clientv3.RetryKVClient(c)), c)
	cfg.Client = c
	s, err := etcd.Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}
