//go:build !linux

package e2e

import "time"

// burnCPU is measured by the thread's CPU clock, known here only on Linux.
func burnCPU(time.Duration) { panic("burnCPU: Linux only") }

func threadCPU() time.Duration { return 0 }
