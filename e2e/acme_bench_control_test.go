package e2e

import (
	"os"
	"testing"
	"time"
)

// benchControlEnv, if set, adds to BenchmarkACMEIssuance a contender after
// certflow, "floorcpu": the floor loop, which sends certflow's requests
// per certificate, burning after each certificate the CPU certflow spent
// per certificate beyond the floor's. Its pebble-cpu-ms/cert is what
// Pebble costs beside a client as busy as certflow, and
// "certflow-pebble-vs-this" is certflow's over it: near 1 when Pebble's CPU
// above the floor's comes from sharing the cores with a busier client, not
// from what certflow asks of it.
const benchControlEnv = "BENCH_PEBBLE_CONTROL"

var benchControl = os.Getenv(benchControlEnv) != ""

// benchControlRun runs the floorcpu contender against a CA of its own,
// given what the floor and certflow cost in the same run.
func benchControlRun(b *testing.B, rig *benchCA, shape issuanceShape, floor, certflow cpuBudget) {
	extra := certflow.self - floor.self
	if extra <= 0 {
		b.Skipf("certflow's CPU per certificate (%.2f ms) is not above the floor's (%.2f ms)", certflow.self, floor.self)
	}
	rig.burn = time.Duration(extra * float64(time.Millisecond))
	benchBare(b, rig, shape, "k", finalizeFloor)
	if rig.cpu.pebble > 0 {
		b.ReportMetric(certflow.pebble/rig.cpu.pebble, "certflow-pebble-vs-this")
	}
}
