package certflow

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// BenchmarkCertificateIndexes_BytesPerCertificate reports what the
// Secret-name index and the validation-miss gate keep per Certificate
// (B/cert), each Certificate observed once from the watch as a Manager
// issuing them does (the gate's names still open: the idle Manager right
// after issuance). The watch events' strings are made beforehand and not
// counted: they are the Store's.
//
//	go test -run '^$' -bench CertificateIndexes_Bytes -benchtime 3x .
func BenchmarkCertificateIndexes_BytesPerCertificate(b *testing.B) {
	const certs = 20000
	evs := make([]store.WatchEvent, certs)
	for i := range evs {
		name := fmt.Sprint("cert-", i)
		evs[i] = store.WatchEvent{Type: store.Added, Ref: meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: name},
			Meta: meta.ObjectMeta{Namespace: "default", Name: name,
				Labels:      map[string]string{certificate.LabelSecretName: name + "-tls"},
				Annotations: map[string]string{certificate.AnnotationValidationNames: name + ".example.com"}}}
	}
	noOwners := &ownerIndex{}
	var perCert float64
	for b.Loop() {
		before := liveHeap()
		names := &secretNameIndex{}
		gate := newMissGate(clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)), 0)
		for _, ev := range evs {
			names.set(ev.Ref, ev.Meta.Labels)
			gate.observe(ev, noOwners)
		}
		perCert = float64(liveHeap()-before) / certs
		runtime.KeepAlive(names)
		runtime.KeepAlive(gate)
	}
	b.ReportMetric(perCert, "B/cert")
}
