//go:build !unix

package measure

import "time"

// cpuTime is unknown here: the report leaves CPU blank.
func cpuTime() (time.Duration, bool) { return 0, false }
