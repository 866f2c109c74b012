package etcd_test

import (
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/certflow/certflow/store/etcd/etcdtest"
)

// Every watch and session ends with its store: no goroutine outlives a test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clientv3New returns a new client of srv that the test closes itself.
func clientv3New(srv *etcdtest.Server) (*clientv3.Client, error) {
	return clientv3.New(srv.ClientConfig())
}
