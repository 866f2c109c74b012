package metrics

import (
	"fmt"
	"runtime"
	rtmetrics "runtime/metrics"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkChanged_ScanBytesPerCertificate reports what a Manager nobody
// scrapes keeps for 20,000 Certificates it changed (B/cert, the live heap
// the metrics add) and how much of it the collector scans at every cycle
// (scan-B/cert, /gc/scan/heap:bytes). The references' strings are made
// beforehand and not counted: they are the Store's.
//
//	go test -run '^$' -bench Changed_Scan -benchtime 1x ./internal/metrics
func BenchmarkChanged_ScanBytesPerCertificate(b *testing.B) {
	const certs = 20000
	refs := make([]meta.Ref, certs)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("cert-", i)}
	}
	st := memory.New()
	var live, scan float64
	for b.Loop() {
		live0, scan0 := scannedHeap()
		m := New(Options{Store: st})
		for _, ref := range refs {
			m.Changed(ref)
			m.Changed(ref) // written twice, as an issuance does
		}
		live1, scan1 := scannedHeap()
		runtime.KeepAlive(m)
		live, scan = float64(live1-live0)/certs, float64(scan1-scan0)/certs
	}
	b.ReportMetric(live, "B/cert")
	b.ReportMetric(scan, "scan-B/cert")
}

// scannedHeap runs a collection and returns the live heap after it and the
// heap it scanned (/gc/scan/heap:bytes).
func scannedHeap() (live, scan int64) {
	runtime.GC()
	s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/heap:bytes"}}
	rtmetrics.Read(s)
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
}
