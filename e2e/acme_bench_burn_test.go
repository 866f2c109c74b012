//go:build linux

package e2e

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestBurnCPU_UsesWhatItIsAsked: the control contender's burn uses at
// least the CPU asked of it, and not wildly more, whatever the load.
func TestBurnCPU_UsesWhatItIsAsked(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadCPU()
	burnCPU(20 * time.Millisecond)
	used := threadCPU() - before
	assert.GreaterOrEqual(t, used, 20*time.Millisecond)
	assert.Less(t, used, 40*time.Millisecond)
}
