//go:build !unix

package cputime

import "time"

// Process is not known here: ok is false.
func Process() (used time.Duration, ok bool) { return 0, false }
