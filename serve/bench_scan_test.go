package serve

import (
	"fmt"
	"runtime"
	rtmetrics "runtime/metrics"
	"testing"

	"github.com/certflow/certflow/secret"
)

// BenchmarkServedScanBytes reports what the Cache keeps per certificate
// (B/cert, as BenchmarkServedBytes) and how much of it the collector scans
// at every cycle (scan-B/cert: the pointer-bearing heap it adds,
// /gc/scan/heap:bytes), for n real CA-signed ECDSA Secrets loaded by Apply
// (a Manager's start) or PutSecret (its watch). An idle Manager's forced
// collection every two minutes marks what scan-B/cert counts.
//
//	go test -run '^$' -bench ServedScanBytes -benchtime 1x ./serve
func BenchmarkServedScanBytes(b *testing.B) {
	var secrets benchSecrets
	for _, n := range []int{10_000, 100_000} {
		for _, mode := range []string{"apply", "put"} {
			b.Run(fmt.Sprintf("n=%d/%s", n, mode), func(b *testing.B) {
				list := secrets.get(b, n)
				var live, scan float64
				for b.Loop() {
					live, scan = servedScanBytes(b, list, mode == "put")
				}
				b.ReportMetric(live, "B/cert")
				b.ReportMetric(scan, "scan-B/cert")
			})
		}
	}
}

// servedScanBytes loads list into a new Cache and returns the live heap
// and the scanned heap it added per Secret.
func servedScanBytes(b *testing.B, list []*secret.Secret, put bool) (live, scan float64) {
	live0, scan0 := liveHeap(), scannedHeap()
	c := NewCache(Options{})
	if put {
		for _, s := range list {
			if err := c.PutSecret(s); err != nil {
				b.Fatal(err)
			}
		}
	} else if err := c.Apply(list, nil); err != nil {
		b.Fatal(err)
	}
	live1, scan1 := liveHeap(), scannedHeap()
	runtime.KeepAlive(c)
	n := float64(len(list))
	return float64(int64(live1)-int64(live0)) / n, float64(int64(scan1)-int64(scan0)) / n
}

// scannedHeap returns the heap a full collection scanned
// (/gc/scan/heap:bytes), after running one.
func scannedHeap() uint64 {
	liveHeap()
	s := []rtmetrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}
