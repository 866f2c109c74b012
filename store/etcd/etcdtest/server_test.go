package etcdtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"

	"github.com/certflow/certflow/store/etcd/etcdtest"
)

// A stopped server must leave nothing running behind it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRestartKeepsDataAndEndpoints(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	c, err := srv.Client()
	require.NoError(t, err)
	put, err := c.Put(ctx, "k", "v")
	require.NoError(t, err)
	endpoints := srv.Endpoints()

	srv.Stop()
	down, cancelDown := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = c.Get(down, "k")
	cancelDown()
	require.Error(t, err, "a stopped server answers nothing")

	require.NoError(t, srv.Restart())
	assert.Equal(t, endpoints, srv.Endpoints())
	got, err := c.Get(ctx, "k")
	require.NoError(t, err, "the same client reconnects")
	require.Len(t, got.Kvs, 1)
	assert.Equal(t, "v", string(got.Kvs[0].Value))
	assert.Equal(t, put.Header.Revision, got.Kvs[0].ModRevision, "the data survived")
}

func TestCompact(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	c, err := srv.Client()
	require.NoError(t, err)
	first, err := c.Put(ctx, "k", "1")
	require.NoError(t, err)
	second, err := c.Put(ctx, "k", "2")
	require.NoError(t, err)
	require.NoError(t, srv.Compact(ctx, second.Header.Revision))
	_, err = c.Get(ctx, "k", clientv3.WithRev(first.Header.Revision))
	assert.ErrorIs(t, err, rpctypes.ErrCompacted)
}

func TestAuth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithAuth("certflow", "s3cret-pass"))
	c, err := srv.Client()
	require.NoError(t, err)
	_, err = c.Put(ctx, "k", "v")
	require.NoError(t, err, "the configured user may write")

	cfg := srv.ClientConfig()
	cfg.Username, cfg.Password = "", ""
	anon, err := clientv3.New(cfg)
	require.NoError(t, err)
	defer anon.Close()
	_, err = anon.Get(ctx, "k")
	assert.ErrorIs(t, err, rpctypes.ErrUserEmpty, "anonymous clients are refused")
}

func TestTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := etcdtest.Start(t, etcdtest.WithTLS())
	require.NotNil(t, srv.TLS())
	assert.Contains(t, srv.Endpoints()[0], "https://")
	c, err := srv.Client()
	require.NoError(t, err)
	_, err = c.Put(ctx, "k", "v")
	require.NoError(t, err, "a client with the client certificate")

	cfg := srv.ClientConfig()
	cfg.TLS.Certificates = nil
	anon, err := clientv3.New(cfg)
	require.NoError(t, err)
	defer anon.Close()
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	_, err = anon.Get(short, "k")
	assert.Error(t, err, "no client certificate, no answer")
}
