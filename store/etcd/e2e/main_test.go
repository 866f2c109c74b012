package e2e

import (
	"os"
	"testing"

	"github.com/certflow/certflow/internal/replicatest"
)

// TestMain runs a replica instead of the tests when this binary was started
// as one by a replicatest.Cluster.
func TestMain(m *testing.M) {
	replicatest.Child(openReplica)
	os.Exit(m.Run())
}
