package serve

import (
	"syscall"
	"time"
	"unsafe"
)

// threadClock returns the CPU time the calling thread has used (Linux's
// CLOCK_THREAD_CPUTIME_ID), so a comparison timed on one locked thread is
// not skewed by whatever else a shared machine runs meanwhile.
func threadClock() time.Duration {
	const clockThreadCPUTime = 3
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}
