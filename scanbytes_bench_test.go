package certflow

import (
	"runtime"
	rtmetrics "runtime/metrics"
	"testing"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// BenchmarkManagerIndexes_ScanBytesPerCertificate reports, for each index
// the Manager keeps per Certificate, the live heap it adds (B/cert) and
// how much of it the collector scans at every cycle (scan-B/cert: the
// pointer-bearing heap, /gc/scan/heap:bytes), filled as an idle Manager
// holds 20,000 issued certificates (each with its request and ~4.4 Events
// owned, its renewal scheduled, its Secret's label and validation names
// observed). The references' strings are made beforehand and not counted:
// they are the Store's. An idle Manager's forced collection every two
// minutes marks what scan-B/cert counts.
//
//	go test -run '^$' -bench ManagerIndexes_Scan -benchtime 1x .
func BenchmarkManagerIndexes_ScanBytesPerCertificate(b *testing.B) {
	const certs = 20000
	objs := issuedOwnership(certs)
	var evs []store.WatchEvent
	for i := range certs {
		cert := issuedCertificateRef(i)
		evs = append(evs, store.WatchEvent{Type: store.Added, Ref: cert,
			Meta: meta.ObjectMeta{Namespace: "default", Name: cert.Name,
				Labels:      map[string]string{certificate.LabelSecretName: cert.Name + "-tls"},
				Annotations: map[string]string{certificate.AnnotationValidationNames: cert.Name + ".example.com"}}})
	}
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	noOwners := &ownerIndex{}
	for _, index := range []struct {
		name string
		fill func() any
	}{
		{"owner-index", func() any {
			x := &ownerIndex{}
			for i, o := range objs {
				x.set(o.ref, o.owners, uint64(i+1))
			}
			return x
		}},
		{"timers", func() any {
			t := newTimerHeap()
			for i, ev := range evs {
				t.Schedule(ev.Ref, start.Add(time.Duration(i)*time.Second).Local())
			}
			return t
		}},
		{"secret-names-and-miss-gate", func() any {
			names := &secretNameIndex{}
			gate := newMissGate(clock.NewFake(start), 0)
			for _, ev := range evs {
				names.set(ev.Ref, ev.Meta.Labels)
				gate.observe(ev, noOwners)
			}
			return []any{names, gate}
		}},
	} {
		b.Run(index.name, func(b *testing.B) {
			var live, scan float64
			for b.Loop() {
				live, scan = heapAdded(index.fill)
			}
			b.ReportMetric(live/certs, "B/cert")
			b.ReportMetric(scan/certs, "scan-B/cert")
		})
	}
}

// heapAdded returns the live heap that what fill returns adds, and the
// part of it a collection scans.
func heapAdded(fill func() any) (live, scan float64) {
	live0, scan0 := liveHeap(), scannedHeap()
	x := fill()
	live1, scan1 := liveHeap(), scannedHeap()
	runtime.KeepAlive(x)
	return float64(int64(live1) - int64(live0)), float64(int64(scan1) - int64(scan0))
}

// scannedHeap returns the heap a full collection scanned
// (/gc/scan/heap:bytes), after running one.
func scannedHeap() uint64 {
	liveHeap()
	s := []rtmetrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}
