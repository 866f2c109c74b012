package etcd_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
)

// A held lock's Lost channel stays open while the session lives, closes
// once etcd stops answering for most of the session TTL, and is closed at
// once for a lease the store does not hold (released).
func TestLost_ClosesWhenTheSessionIsLost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{Prefix: "/lost/", SessionTTL: sessionTTL})

	released, err := st.Acquire(ctx, "released", "me", time.Hour)
	require.NoError(t, err)
	require.NoError(t, st.Release(ctx, released))
	select {
	case <-st.Lost(released):
	default:
		t.Fatal("a released lease counts as lost")
	}

	held, err := st.Acquire(ctx, "held", "me", time.Hour)
	require.NoError(t, err)
	lost := st.Lost(held)
	select {
	case <-lost:
		t.Fatal("a held lease of a live session is not lost")
	default:
	}
	srv.Stop() // etcd stops answering the keepalives
	stopped := time.Now()
	select {
	case <-lost:
	case <-time.After(sessionTTL + 10*time.Second):
		t.Fatal("the lease was never counted as lost")
	}
	t.Logf("counted as lost %v after etcd stopped answering (session TTL %v)", time.Since(stopped).Round(10*time.Millisecond), sessionTTL)
	require.NoError(t, srv.Restart())
}
