package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/replicatest/replicasuite"
	"github.com/certflow/certflow/store/file"
)

// onDemandNames is how many new names the replicas issue on demand.
const onDemandNames = 20

// TestReplicas_ThreeProcessesOneFileStore_OnDemandIssuedOnce runs three
// Managers in three processes on one file store with on-demand issuance,
// sends a TLS handshake for each of 20 new allowed names to every replica
// at once, and checks replicasuite.OnDemandIssuedOnce: every handshake
// verified, one Certificate per name served by every replica, one order,
// one finalize and one certificate per name at the CA, and a denied name
// that costs no ACME request.
func TestReplicas_ThreeProcessesOneFileStore_OnDemandIssuedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes; skipped in -short mode")
	}
	dir := t.TempDir()
	parent, err := file.Open(dir, file.WithPollInterval(10*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { _ = parent.Close() })
	spec, err := json.Marshal(fileReplica{Dir: dir})
	require.NoError(t, err)
	replicasuite.OnDemandIssuedOnce(t, replicasuite.Config{
		Replicas: 3,
		Store:    func(int) json.RawMessage { return spec },
		Parent:   parent,
	}, onDemandNames)
}
