//go:build unix

package cputime

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProcessGrowsWithWork burns CPU until Process reports more than it
// did before, within a bounded deadline.
func TestProcessGrowsWithWork(t *testing.T) {
	before, ok := Process()
	require.True(t, ok)
	sum := sha256.Sum256(nil)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		for range 10000 {
			sum = sha256.Sum256(sum[:])
		}
		if now, ok := Process(); ok && now > before {
			return
		}
	}
	t.Fatal("Process did not grow after 30s of hashing")
}
