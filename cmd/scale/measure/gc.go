package measure

import (
	"fmt"
	"math"
	"runtime/debug"
	"runtime/metrics"
)

// gcSettings describes the collector's settings in effect (GOGC and
// GOMEMLIMIT, from the environment or set by the program): memory figures
// mean little without them.
func gcSettings() string {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	gogc := "off"
	if s[0].Value.Kind() == metrics.KindUint64 {
		if p := s[0].Value.Uint64(); p != 0 {
			gogc = fmt.Sprint(p)
		}
	}
	limit := "none"
	if s[1].Value.Kind() == metrics.KindUint64 {
		if b := s[1].Value.Uint64(); b != math.MaxInt64 {
			limit = mib(b)
		}
	}
	settings := fmt.Sprintf("GOGC=%s, GOMEMLIMIT=%s", gogc, limit)
	if limit == "none" {
		// A program holding this many certificates should not run so.
		settings += " (without a limit RSS runs 2-3x the live heap: see docs/memory.md)"
	}
	return settings
}

// returnedMemory gives the heap's free pages back to the OS first (the
// runtime's scavenger does so over minutes), so the resident set is what
// the heap's spans in use hold.
func returnedMemory() Memory {
	debug.FreeOSMemory()
	return readMemory()
}
