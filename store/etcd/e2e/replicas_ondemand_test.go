package e2e

import (
	"testing"

	"github.com/certflow/certflow/internal/replicatest/replicasuite"
)

// TestReplicas_ThreeProcessesOneEtcd_OnDemandIssuedOnce: three replica
// processes on one etcd, sharing the work, each asked at once for the same
// 20 new on-demand names; replicasuite.OnDemandIssuedOnce checks one order,
// one finalize and one certificate per name at the CA, every handshake
// verified on every replica, every validation answered by a replica that
// did not present it, and a denied name that costs no ACME request.
func TestReplicas_ThreeProcessesOneEtcd_OnDemandIssuedOnce(t *testing.T) {
	c := newSteadyCluster(t)
	replicasuite.OnDemandIssuedOnce(t, replicasuite.Config{Replicas: 3, Store: c.replica, Parent: c.parent(), ShareWork: true}, 20)
}
