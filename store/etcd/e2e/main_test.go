package e2e

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/certflow/certflow/acmetest/acmeleak"
	"github.com/certflow/certflow/internal/replicatest"
)

// TestMain runs a replica instead of the tests when this binary was started
// as one by a replicatest.Cluster; otherwise it fails the package if any
// test leaves a goroutine running (but Pebble's validation authority loop,
// which never exits).
func TestMain(m *testing.M) {
	replicatest.Child(openReplica)
	goleak.VerifyTestMain(m, acmeleak.IgnoreGoroutines()...)
}
