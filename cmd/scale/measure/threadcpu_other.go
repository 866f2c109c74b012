//go:build !linux

package measure

import "time"

// threadCPUTime is unknown here: the report leaves Apply's CPU blank.
func threadCPUTime() (time.Duration, bool) { return 0, false }

// processUserSystem is unknown here: the report says so.
func processUserSystem() (user, system time.Duration, ok bool) { return 0, 0, false }
