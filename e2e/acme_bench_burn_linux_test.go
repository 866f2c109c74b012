package e2e

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// burnCPU keeps the calling goroutine's thread on a CPU until it has used
// d more of it (thread CPU time: on a loaded machine wall time would burn
// less), computing in registers so nothing but the cores is shared.
func burnCPU(d time.Duration) {
	if d <= 0 {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	until := threadCPU() + d
	x := uint64(1)
	for threadCPU() < until {
		for range 4096 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	burnSink = x
}

// burnSink keeps burnCPU's loop from being optimised away.
var burnSink uint64

func threadCPU() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}
