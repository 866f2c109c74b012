//go:build linux

package certflow

import (
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/certflow/certflow/meta"
)

// BenchmarkRefTable_CompactionPause: 350k live names (the owner index's
// objects at ~50k certificates) and as many Secret-name labels, churned
// one out and one in at random places, so released bytes are spread over
// every chunk (the worst case for compacting a few chunks at a time). An
// op is twice as many replacements as live names, compacting along the
// way. Reported, in CPU time of the thread without the collector running:
// of the releases that compacted (under the index's lock), the worst, the
// median and how many (worst-µs, median-µs, compacting/op); the worst of
// the others (other-worst-µs); and the chunk bytes held per live byte at
// the end (held/live).
func BenchmarkRefTable_CompactionPause(b *testing.B) {
	const live = 350_000
	names := func(i int) string {
		return "cert-" + strconv.Itoa(10_000_000+i) + ".example-" + strconv.Itoa(i%97) + ".com"
	}
	for _, mode := range []string{"names", "texts"} {
		b.Run(mode, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(7, 8))
			var tab refTable[secretLabel]
			ids := make([]int32, live)
			next := 0
			add := func() int32 {
				id, _ := tab.intern(meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: names(next)})
				tab.setText(&tab.at(id).label, "tls-"+names(next))
				next++
				return id
			}
			for i := range ids {
				ids[i] = add()
			}
			// CPU time of this thread, not the wall clock's: on a shared
			// machine a preemption would be the worst "pause".
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			// No collection meanwhile: a mark assist charged to a release
			// would be the worst "pause".
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			var pauses, others []time.Duration
			for b.Loop() {
				for range 2 * live {
					k := rng.IntN(live)
					id := ids[k]
					dead := tab.names.dead + tab.texts.dead
					emptying := tab.names.emptying + tab.texts.emptying
					t0 := threadCPU(b)
					if mode == "names" {
						tab.release(id)
					} else {
						tab.setText(&tab.at(id).label, "tls-"+names(next)) // drops the old text
					}
					d := threadCPU(b) - t0
					if tab.names.dead+tab.texts.dead < dead || emptying+tab.names.emptying+tab.texts.emptying > 0 { // it compacted
						pauses = append(pauses, d)
					} else {
						others = append(others, d)
					}
					if mode == "names" {
						ids[k] = add()
					} else {
						next++
					}
				}
			}
			slices.Sort(pauses)
			slices.Sort(others)
			held := 0
			a := &tab.names
			if mode == "texts" {
				a = &tab.texts
			}
			for _, c := range a.chunks {
				held += cap(c)
			}
			b.ReportMetric(float64(pauses[len(pauses)-1].Microseconds()), "worst-µs")
			b.ReportMetric(float64(pauses[len(pauses)/2].Microseconds()), "median-µs")
			b.ReportMetric(float64(len(pauses))/float64(b.N), "compacting/op")
			b.ReportMetric(float64(others[len(others)-1].Microseconds()), "other-worst-µs")
			b.ReportMetric(float64(held)/float64(a.live), "held/live")
		})
	}
}

// threadCPU returns the CPU time the calling OS thread has used.
func threadCPU(b *testing.B) time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID: precise, where getrusage counts ticks
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		b.Fatal(errno)
	}
	return time.Duration(ts.Nano())
}
