//go:build !linux

package serve

import "time"

var clockStart = time.Now()

// threadClock is wall time where the thread's CPU time is not at hand.
func threadClock() time.Duration { return time.Since(clockStart) }

// processClock is wall time where the process's CPU time is not at hand.
func processClock() time.Duration { return time.Since(clockStart) }
