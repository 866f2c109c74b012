package e2e

import (
	"crypto/sha256"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestThreadsCPUGrowsWithWork checks that threadsCPU, which the
// benchmark reads for Pebble's CPU, sees a process's CPU: this one's,
// while it hashes, within a bounded deadline; and nothing without a pid.
func TestThreadsCPUGrowsWithWork(t *testing.T) {
	assert.Zero(t, threadsCPU(0))
	before := threadsCPU(os.Getpid())
	sum := sha256.Sum256(nil)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
		if threadsCPU(os.Getpid()) > before {
			return
		}
	}
	t.Fatal("threadsCPU did not grow after 30s of hashing")
}
