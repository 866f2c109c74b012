package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpuBudget is what a contender's round cost in CPU per certificate: this
// process's (the client's, and with acmetest the CA's too) and the Pebble
// process's. On a machine whose cores the clients share with Pebble, a
// round that keeps them busy runs at a rate inversely proportional to
// their sum.
type cpuBudget struct {
	self, pebble float64 // ms per certificate
}

func (c cpuBudget) total() float64 { return c.self + c.pebble }

// threadsCPU is the CPU time the live threads of process pid have used,
// from the kernel's nanosecond accounting (schedstat; /proc/pid/stat
// counts in 10 ms ticks, too coarse for a 50-certificate round). A thread
// that exited is not counted: Go's runtime keeps its threads. 0 if pid is
// 0 or unknown.
func threadsCPU(pid int) time.Duration { return schedstatSum(pid, 0) }

// schedstatSum sums field (0: time on a CPU, 1: time waiting on a run
// queue) of the schedstat of every live thread of process pid.
func schedstatSum(pid, field int) time.Duration {
	if pid == 0 {
		return 0
	}
	dirs, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, d := range dirs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, d.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > field {
			n, _ := strconv.ParseInt(f[field], 10, 64)
			sum += time.Duration(n)
		}
	}
	return sum
}

// reportCPUBound reports, beside a contender's measured vs-floor, the
// ratio CPU alone predicts, (floor's CPU + Pebble's for it) ÷ (the
// contender's + Pebble's for it), per certificate: where the cores are the
// bound the two agree, and where round trips or waits are, the measured
// one falls below it.
func reportCPUBound(b *testing.B, floor, c cpuBudget) {
	if floor.total() > 0 && c.total() > 0 {
		b.ReportMetric(floor.total()/c.total(), "cpu-bound-vs-floor")
	}
}
