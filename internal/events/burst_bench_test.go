package events

import (
	"fmt"
	"testing"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkIssuanceEventsBurst is BenchmarkIssuanceEvents at a high rate:
// the events of 20 issuances (240, a batch nearly full) are written by one
// flush, as at 2,000 issuances a second. One op is one certificate. The
// contention that made the writer fall behind (reconcilers recording and
// reading the Store while it writes) is not in it: what it shows is the
// writer's own CPU and allocations an event.
func BenchmarkIssuanceEventsBurst(b *testing.B) {
	const perFlush = 20
	w := NewWriter(Options{Store: memory.New(memory.WithHistory(1)), Clock: clock.Real{}, MaxPending: 1 << 20})
	ctx := b.Context()
	w.sweep(ctx)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprint("web-", i)
		crt := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: name}
		cr := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: name + "-1"}
		ord := meta.Ref{Kind: meta.KindOrder, Namespace: "default", Name: name + "-1-1234567890"}
		ch := meta.Ref{Kind: meta.KindChallenge, Namespace: "default", Name: name + "-1-1234567890-1"}
		w.Record(crt, meta.EventNormal, "Generated", "Stored new private key in temporary Secret "+name+"-next-private-key")
		w.Record(crt, meta.EventNormal, "Requested", "Created new CertificateRequest resource "+name+"-1")
		w.Record(cr, meta.EventNormal, "Approved", "Certificate request has been approved by certflow")
		w.Record(cr, meta.EventNormal, "OrderCreated", "Created Order resource "+ord.Name)
		w.Record(ord, meta.EventNormal, "Created", "created ACME order https://acme.example/order/"+name)
		w.Record(ch, meta.EventNormal, "Presented", "presented HTTP-01 challenge for "+name+".example.test")
		w.Record(ch, meta.EventNormal, "Accepted", "the CA was asked to validate the challenge")
		w.Record(ch, meta.EventNormal, "DomainVerified", "HTTP-01 challenge for "+name+".example.test is valid")
		w.Record(ch, meta.EventNormal, "CleanedUp", "cleaned up HTTP-01 challenge for "+name+".example.test")
		w.Record(ord, meta.EventNormal, "Complete", "certificate issued")
		w.Record(cr, meta.EventNormal, "Issued", "Certificate fetched from issuer successfully")
		w.Record(crt, meta.EventNormal, "Issued", "The certificate has been successfully issued")
		if i%perFlush == perFlush-1 {
			w.flush(ctx)
		}
	}
	w.flush(ctx)
}
