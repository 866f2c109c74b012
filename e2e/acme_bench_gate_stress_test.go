package e2e

import (
	"testing"
	"time"
)

// gateStressShapes are BenchmarkPebbleGate's: pebble.md's two deadlocks
// were seen at 200 orders 8 at a time and 300 at 32, and HTTP-01 adds the
// VA's goroutines taking authorization and challenge locks.
var gateStressShapes = []issuanceShape{
	{name: "valid-200x8", certs: 200, conc: 8},
	{name: "valid-300x32", certs: 300, conc: 32},
	{name: "http01-100x8", certs: 100, conc: 8, http01: true},
}

// gateStressTimeout bounds a round of BenchmarkPebbleGate: a round takes a
// few seconds even on a loaded machine, so a deadlock fails it within this
// and prints the Pebble process's goroutines.
const gateStressTimeout = 20 * time.Second

// BenchmarkPebbleGate stresses the gate into the Pebble process
// (benchGateEnv) with the floor and certflow, each on a Pebble of its own
// that keeps every round's orders, so later rounds hold the store's read
// lock longer in NewOrder's scan: run it with many rounds
// (-benchtime=20x). It measures nothing; a round that deadlocks fails.
// With BENCH_PEBBLE_GATE=none it shows that Pebble does deadlock here.
func BenchmarkPebbleGate(b *testing.B) {
	for _, shape := range gateStressShapes {
		b.Run(shape.name, func(b *testing.B) {
			bin := buildPebble(b)
			b.Run("floor", func(b *testing.B) {
				rig := newBenchCA(b, "pebble", shape, bin)
				rig.timeout = gateStressTimeout
				benchBare(b, rig, shape, "f", finalizeFloor)
			})
			b.Run("certflow", func(b *testing.B) {
				rig := newBenchCA(b, "pebble", shape, bin)
				rig.timeout = gateStressTimeout
				benchCertflow(b, rig, shape)
			})
		})
	}
}
