package metrics

import "time"

// monoBase anchors since: a latency is two readings of the monotonic clock
// alone. time.Now reads the wall clock as well, and on a paravirtual clock
// (kvm-clock) each reading is some 25 ns; the Store wrapper times every
// call of every reconcile (~85 a certificate issued).
var monoBase = time.Now()

// since returns a reading of the monotonic clock; the latency between two
// is their difference. A variable so that a test can step it: a latency
// the test decides is asserted exactly, where slept time is only bounded.
var since = func() time.Duration { return time.Since(monoBase) }
