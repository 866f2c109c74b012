package etcd_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
)

// sessionTTL is the shortest session lease embedded etcd grants (its
// minimum TTL is 1.5 election timeouts, rounded up to whole seconds).
const sessionTTL = 2 * time.Second

// A process killed while holding a lock (its client gone without a word, so
// nothing is revoked) frees it within about the session TTL, although the
// lock's own TTL is an hour.
func TestKilledHoldersLockIsFreedWithinSessionTTL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	victimClient, err := clientv3New(srv)
	require.NoError(t, err)
	victim, err := etcd.Open(etcd.Config{Client: victimClient, Prefix: "/kill/", SessionTTL: sessionTTL})
	require.NoError(t, err)
	defer victim.Close()
	survivor := openStore(t, srv, etcd.Config{Prefix: "/kill/", SessionTTL: sessionTTL})

	_, err = victim.Acquire(ctx, "order:1", "victim", time.Hour)
	require.NoError(t, err)
	_, err = survivor.Acquire(ctx, "order:1", "survivor", time.Hour)
	require.ErrorIs(t, err, store.ErrLocked)

	admin, err := srv.Client()
	require.NoError(t, err)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	deletions := admin.Watch(wctx, "/kill/locks/order:1", clientv3.WithFilterPut())

	require.NoError(t, victimClient.Close()) // SIGKILL: no revoke, no more keepalives
	killed := time.Now()
	select {
	case resp := <-deletions:
		require.NoError(t, resp.Err())
		require.NotEmpty(t, resp.Events)
	case <-time.After(sessionTTL + 10*time.Second):
		require.FailNow(t, "the dead holder's lock was never freed")
	}
	took := time.Since(killed)
	_, err = survivor.Acquire(ctx, "order:1", "survivor", time.Hour)
	require.NoError(t, err)
	assert.Less(t, took, 2*sessionTTL+time.Second, "freed within about the session TTL")
	t.Logf("the lock was free %v after its holder died (session TTL %v)", took.Round(10*time.Millisecond), sessionTTL)
}

// Close revokes the session: the store's locks are free at once.
func TestCloseFreesLocks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	first := openStore(t, srv, etcd.Config{Prefix: "/close/", SessionTTL: time.Minute})
	second := openStore(t, srv, etcd.Config{Prefix: "/close/"})
	_, err := first.Acquire(ctx, "l", "first", time.Hour)
	require.NoError(t, err)
	require.NoError(t, first.Close())
	_, err = second.Acquire(ctx, "l", "second", time.Hour)
	assert.NoError(t, err, "free without waiting for a TTL")
	_, err = first.Acquire(ctx, "l", "first", time.Hour)
	assert.ErrorIs(t, err, etcd.ErrClosed)
}

// When the session lease is lost (here revoked behind the store's back),
// every lease the store held is lost: Renew and Release say so, another
// owner may take the lock, and the store's next Acquire opens a new session.
func TestLostSessionLosesEveryLease(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := etcdtest.Start(t)
	st := openStore(t, srv, etcd.Config{Prefix: "/lost/", SessionTTL: sessionTTL})
	other := openStore(t, srv, etcd.Config{Prefix: "/lost/", SessionTTL: sessionTTL})
	a, err := st.Acquire(ctx, "a", "me", time.Hour)
	require.NoError(t, err)
	b, err := st.Acquire(ctx, "b", "me", time.Hour)
	require.NoError(t, err)

	admin, err := srv.Client()
	require.NoError(t, err)
	got, err := admin.Get(ctx, "/lost/locks/a")
	require.NoError(t, err)
	require.Len(t, got.Kvs, 1)
	_, err = admin.Revoke(ctx, clientv3.LeaseID(got.Kvs[0].Lease))
	require.NoError(t, err)

	// The store learns of the loss from its keepalive stream, and says so
	// through Lost.
	select {
	case <-st.Lost(a):
	case <-time.After(sessionTTL + 5*time.Second):
		require.FailNow(t, "the store never noticed the lost session")
	}
	_, err = st.Renew(ctx, a)
	require.ErrorIs(t, err, store.ErrLeaseLost)
	assert.ErrorIs(t, st.Release(ctx, b), store.ErrLeaseLost)
	_, err = other.Acquire(ctx, "a", "other", time.Hour)
	assert.NoError(t, err, "the revoked lease took the lock with it")

	again, err := st.Acquire(ctx, "b", "me", time.Hour)
	require.NoError(t, err, "a new session")
	_, err = st.Renew(ctx, again)
	assert.NoError(t, err)
	require.NoError(t, st.Release(ctx, again))
}
