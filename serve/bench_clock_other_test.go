//go:build !linux

package serve

import "time"

var clockStart = time.Now()

// threadClock is wall time where the thread's CPU time is not at hand.
func threadClock() time.Duration { return time.Since(clockStart) }

// processClock is wall time where the process's CPU time is not at hand.
func processClock() time.Duration { return time.Since(clockStart) }

// threadSwitches is 0 where the thread's switches are not at hand: every
// turn counts as clean.
func threadSwitches() int64 { return 0 }
