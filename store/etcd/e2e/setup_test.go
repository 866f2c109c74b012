package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
)

// soakEnv, when set, adds the longer variants of the replica tests.
const soakEnv = "CERTFLOW_REPLICA_SOAK"

// sessionTTL is the etcd session lease of every replica's store in the
// fault tests: how long a dead or cut-off replica's claims outlive it
// (etcd's own minimum).
const sessionTTL = 2 * time.Second

// steadySessionTTL is the session lease of the scenarios where no replica
// dies or is cut off, and where a step is done exactly once only while its
// claim holds. A store counts its session lost after three quarters of the
// TTL without a keepalive answer, and a step whose claim is lost stops and
// is done again: with sessionTTL, a 1.5 s stall of a loaded machine (load
// 30, race detector, etcd in the test process) lost a session during a
// DNS-01 CleanUp, which was then sent twice (1 failure in 3 runs of
// IssuedOnceServedEverywhere). Here the TTL only bounds a hang.
const steadySessionTTL = 30 * time.Second

// replicaStore is the Store setting of a replica process.
type replicaStore struct {
	Endpoints  []string      `json:"endpoints"`
	Prefix     string        `json:"prefix"`
	SessionTTL time.Duration `json:"sessionTTL"`
}

// openReplica is how a replica process opens the shared etcd store.
func openReplica(_ context.Context, cfg replicatest.ChildConfig) (store.Store, func(), error) {
	var s replicaStore
	if err := json.Unmarshal(cfg.Store, &s); err != nil {
		return nil, nil, err
	}
	st, err := etcd.Open(etcd.Config{Endpoints: s.Endpoints, Prefix: s.Prefix, SessionTTL: s.SessionTTL})
	if err != nil {
		return nil, nil, err
	}
	return st, func() { _ = st.Close() }, nil
}

// cluster is one embedded etcd and, for each replica that asks for one, a
// proxy between it and etcd that a test can cut.
type cluster struct {
	t          testing.TB
	etcd       *etcdtest.Server
	prefix     string
	proxies    map[int]*replicatest.Proxy
	sessionTTL time.Duration
}

// newCluster starts etcd for the test; proxied lists the replicas that
// reach it through a proxy.
func newCluster(t testing.TB, proxied ...int) *cluster {
	c := &cluster{t: t, etcd: etcdtest.Start(t), prefix: freshPrefix(t), proxies: map[int]*replicatest.Proxy{}, sessionTTL: sessionTTL}
	for _, i := range proxied {
		p, err := replicatest.NewProxy(hostOf(t, c.etcd.Endpoints()[0]))
		require.NoError(t, err)
		t.Cleanup(p.Close)
		c.proxies[i] = p
	}
	return c
}

// newSteadyCluster is newCluster for a scenario in which no replica dies
// or is cut off (steadySessionTTL).
func newSteadyCluster(t testing.TB) *cluster {
	c := newCluster(t)
	c.sessionTTL = steadySessionTTL
	return c
}

func freshPrefix(t testing.TB) string {
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return "/replicas-" + hex.EncodeToString(b[:]) + "/"
}

func hostOf(t testing.TB, endpoint string) string {
	const scheme = "http://"
	require.Contains(t, endpoint, scheme)
	return endpoint[len(scheme):]
}

// replica returns the Store setting of replica i.
func (c *cluster) replica(i int) json.RawMessage {
	endpoints := c.etcd.Endpoints()
	if p, ok := c.proxies[i]; ok {
		endpoints = []string{"http://" + p.Addr()}
	}
	raw, err := json.Marshal(replicaStore{Endpoints: endpoints, Prefix: c.prefix, SessionTTL: c.sessionTTL})
	require.NoError(c.t, err)
	return raw
}

// parent opens the test's own handle on the shared store.
func (c *cluster) parent() store.Store {
	st, err := etcd.Open(etcd.Config{Endpoints: c.etcd.Endpoints(), Prefix: c.prefix, SessionTTL: c.sessionTTL})
	require.NoError(c.t, err)
	c.t.Cleanup(func() { _ = st.Close() })
	return st
}
