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

// processClock returns the CPU time the whole process has used, every
// thread and the garbage collector included.
func processClock() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadSwitches returns how many times the calling thread has been
// switched out, voluntarily or not (getrusage RUSAGE_THREAD).
func threadSwitches() int64 {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		panic(err)
	}
	return ru.Nvcsw + ru.Nivcsw
}
