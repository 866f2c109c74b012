package measure

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/certflow/certflow/internal/cputime"
)

// GCWork is what one full collection of the settled heap costs: the work
// the runtime's forced collection (every 2 minutes) does while the Manager
// is idle, which sets its idle CPU.
type GCWork struct {
	// CPU is the process's CPU time over the collection (the Manager is
	// idle: the collector's, and a little of the Manager's timers); zero
	// where it cannot be read.
	CPU time.Duration
	// Scanned is the heap that may hold pointers, which marking scans
	// (/gc/scan/heap:bytes after the collection).
	Scanned uint64
}

// collectionWork runs one collection and reports its work.
func collectionWork() GCWork {
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	before, ok0 := cputime.Process()
	runtime.GC()
	after, ok1 := cputime.Process()
	metrics.Read(s)
	w := GCWork{Scanned: s[0].Value.Uint64()}
	if ok0 && ok1 {
		w.CPU = after - before
	}
	return w
}

// String is "CPU A, heap scanned B MiB".
func (g GCWork) String() string {
	return fmt.Sprintf("CPU %v, heap scanned %s", g.CPU.Round(time.Millisecond), mib(g.Scanned))
}
