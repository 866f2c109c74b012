package events

import (
	"fmt"
	"testing"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkIssuanceEvents records and writes the 12 distinct events a
// certflow ACME issuance records on the always-valid path (on its
// Certificate, CertificateRequest, Order and Challenge; docs/events.md,
// "Which events an issuance records"), each a new Event: the events' share
// of an issuance. One op is one certificate.
func BenchmarkIssuanceEvents(b *testing.B) {
	w := NewWriter(Options{Store: memory.New(memory.WithHistory(1)), Clock: clock.Real{}, MaxPending: 1 << 20})
	ctx := b.Context()
	w.sweep(ctx) // as Run starts: the census spares each object's first Event a list
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprint("web-", i)
		crt := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: name}
		cr := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: name + "-1"}
		ord := meta.Ref{Kind: meta.KindOrder, Namespace: "default", Name: name + "-1-1234567890"}
		ch := meta.Ref{Kind: meta.KindChallenge, Namespace: "default", Name: name + "-1-1234567890-1"}
		for _, e := range []struct {
			obj    meta.Ref
			reason meta.Reason
			msg    string
		}{
			{crt, "Generated", "Stored new private key in temporary Secret " + name + "-next-private-key"},
			{crt, "Requested", "Created new CertificateRequest resource " + name + "-1"},
			{cr, "Approved", "Certificate request has been approved by certflow"},
			{cr, "OrderCreated", "Created Order resource " + ord.Name},
			{ord, "Created", "created ACME order https://acme.example/order/" + name},
			{ch, "Presented", "presented HTTP-01 challenge for " + name + ".example.test"},
			{ch, "Accepted", "the CA was asked to validate the challenge"},
			{ch, "DomainVerified", "HTTP-01 challenge for " + name + ".example.test is valid"},
			{ch, "CleanedUp", "cleaned up HTTP-01 challenge for " + name + ".example.test"},
			{ord, "Complete", "certificate issued"},
			{cr, "Issued", "Certificate fetched from issuer successfully"},
			{crt, "Issued", "The certificate has been successfully issued"},
		} {
			w.Record(e.obj, meta.EventNormal, e.reason, e.msg)
		}
		w.flush(ctx)
	}
}
