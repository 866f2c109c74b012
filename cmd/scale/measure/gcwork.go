package measure

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"time"
)

// GCWork is what one full collection of the settled heap costs: the work
// the runtime's forced collection (every 2 minutes) does while the Manager
// is idle, which sets its idle CPU.
type GCWork struct {
	// CPU is the collector's CPU time over the collection
	// (/cpu/classes/gc/total:cpu-seconds, the runtime's estimate).
	CPU time.Duration
	// Scanned is the heap that may hold pointers, which marking scans
	// (/gc/scan/heap:bytes after the collection).
	Scanned uint64
}

// collectionWork runs one collection and reports its work.
func collectionWork() GCWork {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/gc/scan/heap:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Float64()
	runtime.GC()
	metrics.Read(s)
	return GCWork{CPU: time.Duration((s[0].Value.Float64() - before) * float64(time.Second)), Scanned: s[1].Value.Uint64()}
}

// String is "CPU A, heap scanned B MiB".
func (g GCWork) String() string {
	return fmt.Sprintf("CPU %v, heap scanned %s", g.CPU.Round(time.Millisecond), mib(g.Scanned))
}
