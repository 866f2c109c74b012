package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store/memory"
)

// The garbage collector marks every live object at each cycle, and the
// runtime forces one every 2 minutes however idle the process: at 100,000
// certificates the objects the store keeps, not their bytes, set most of
// an idle Manager's CPU. A certificate's objects (Certificate, request,
// Secret, five Events) cost 30.4 heap objects with each slab's handles in
// an array of their own, 23.4 with them in the entry's allocation
// (entry_with.go), 17.0 with shared strings in the store's own table
// instead of unique's (intern.go). Counted after two collections, so
// garbage of the fill
// is not counted, as what a second n certificates add to the first, so
// what the store holds once (tables, the sketch) is not either.
func TestStore_ObjectsPerCertificate(t *testing.T) {
	const n = objectCensusCerts
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	ca := pemOf(rng, "CERTIFICATE", 410)
	at := time.Date(2026, 12, 1, 7, 3, 50, 0, time.UTC)
	s := memory.New(memory.WithHistory(1))
	fill := func(from int) {
		for i := from; i < from+n; i++ {
			for _, obj := range issuedObjects(rng, fmt.Sprintf("c%d", i), ca, at) {
				require.NoError(t, s.Create(ctx, obj))
			}
		}
	}
	fill(0)
	before := liveObjects()
	fill(n)
	perCert := float64(liveObjects()-before) / n
	runtime.KeepAlive(s)
	t.Logf("%.2f heap objects a certificate", perCert)
	assert.Less(t, perCert, 20.0, "heap objects a certificate's objects keep in the store")
}

// liveObjects is how many objects the heap holds once what is dead is
// swept.
func liveObjects() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapObjects
}
