package etcd_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/storetest"
)

// TestConformance runs the store suite against a real etcd: one server, and
// a fresh prefix (an empty store) per subtest. The server skips fsync,
// which is its own durability, not the store's behaviour: the slow
// reader's 2048 writes took 28 s under load with it (against a subtest
// deadline of 30 s then).
func TestConformance(t *testing.T) {
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		return openStore(t, srv, etcd.Config{Clock: clk, Prefix: fmt.Sprintf("/conformance/%d/", n.Add(1))})
	})
}

// TestConformanceSmallPages pages every List through two objects at a time.
func TestConformanceSmallPages(t *testing.T) {
	srv := etcdtest.Start(t, etcdtest.WithoutFsync())
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		return openStore(t, srv, etcd.Config{Clock: clk, PageSize: 2, Prefix: fmt.Sprintf("/paged/%d/", n.Add(1))})
	})
}

// openStore opens a store on srv (cfg's Endpoints are filled in) and closes
// it when the test ends.
func openStore(t testing.TB, srv *etcdtest.Server, cfg etcd.Config) *etcd.Store {
	t.Helper()
	cfg.Endpoints = srv.Endpoints()
	st, err := etcd.Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return st
}
