package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// One account's ACME calls in flight hold at most a quarter of the workers
// by default, whichever of the two is set: a visit that only writes the
// Store (a request recording its certificate) does not wait for a worker
// while every in-flight issuance talks to the CA.
func TestConfig_WorkersDefaultLeavesMostWorkersFreeOfOneAccount(t *testing.T) {
	tests := []struct {
		name                   string
		workers, inFlight      int
		wantWorkers, wantSlots int
	}{
		{"neither set", 0, 0, 8, 2},
		{"workers set", 20, 0, 20, 5},
		{"more calls in flight than a quarter of 8", 0, 8, 32, 8},
		{"fewer", 0, 1, 8, 1},
		{"both set: kept", 4, 8, 4, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Workers: tt.workers}
			c.ACME.MaxInFlightPerAccount = tt.inFlight
			got := c.withDefaults()
			assert.Equal(t, tt.wantWorkers, got.Workers)
			assert.Equal(t, tt.wantSlots, got.ACME.MaxInFlightPerAccount)
		})
	}
}
