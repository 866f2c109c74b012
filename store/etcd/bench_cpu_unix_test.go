//go:build unix

package etcd_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the whole process has used, every thread
// (the etcd member's too) and the garbage collector included.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
