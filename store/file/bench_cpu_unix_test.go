//go:build unix

package file_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the whole process has used (every
// thread, the garbage collector included), so a benchmark run on a shared
// machine can report what it cost beside how long it took.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
