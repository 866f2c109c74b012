package e2e

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/replicatest/replicasuite"
	"github.com/certflow/certflow/store"
)

// TestReplicas_ThreeProcessesOneEtcd_IssuedOnceServedEverywhere runs three
// Managers in three processes on one etcd, all applying the same ACME
// Issuer and Certificates (HTTP-01, TLS-ALPN-01, DNS-01 and a wildcard),
// and checks replicasuite.IssuedOnce: one order, one finalize and one
// certificate per name at the CA, every validation answered by a replica
// that did not present the challenge, DNS-01 values presented and cleaned
// up once, every certificate served by every replica. The replicas share
// the work; with CERTFLOW_REPLICA_SOAK set it runs again with each
// reconciling everything, where only the claims keep the CA's steps single
// (the file-store test runs that way every time).
func TestReplicas_ThreeProcessesOneEtcd_IssuedOnceServedEverywhere(t *testing.T) {
	modes := []bool{true}
	if os.Getenv(soakEnv) != "" {
		modes = append(modes, false)
	}
	for _, share := range modes {
		t.Run(map[bool]string{true: "shared", false: "unshared"}[share], func(t *testing.T) {
			c := newSteadyCluster(t)
			replicasuite.IssuedOnce(t, replicasuite.Config{Replicas: 3, Store: c.replica, Parent: c.parent(), ShareWork: share}, 8)
		})
	}
}

// BenchmarkReplicas_Etcd_CABatch compares how long one and three replica
// processes on one etcd take to issue a batch of CA-issuer certificates
// (CERTFLOW_REPLICA_BATCH of them, 300 if unset); each batch has its own
// key prefix.
func BenchmarkReplicas_Etcd_CABatch(b *testing.B) {
	n := 300
	if v := os.Getenv("CERTFLOW_REPLICA_BATCH"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(b, err)
	}
	c := newSteadyCluster(b)
	replicasuite.CompareBatches(b, func(tb testing.TB) (func(int) json.RawMessage, store.Store) {
		c.prefix = freshPrefix(tb)
		return c.replica, c.parent()
	}, n)
}
