package events

import (
	"fmt"
	"testing"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkIssuanceEvents records and writes the 13 distinct events an ACME
// issuance records (on its Certificate, CertificateRequest, Order and
// Challenge), each a new Event: the events' share of an issuance. One op is
// one certificate.
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
			{crt, "Issuing", "Issuing certificate as Secret does not exist"},
			{crt, "Generated", "Stored new private key in temporary Secret " + name + "-next-private-key"},
			{crt, "Requested", "Created new CertificateRequest resource " + name + "-1"},
			{cr, "Approved", "Certificate request has been approved by certflow"},
			{cr, "OrderCreated", "Created Order resource " + ord.Name},
			{ord, "Created", "created ACME order https://acme.example/order/" + name},
			{ch, "Started", "Challenge scheduled for processing"},
			{ch, "Presented", "Presented challenge using HTTP-01 challenge mechanism"},
			{ch, "DomainVerified", "Domain " + name + ".example.test verified with HTTP-01 validation"},
			{ord, "Finalized", "finalized ACME order"},
			{ord, "Complete", "certificate issued"},
			{cr, "Issued", "Certificate fetched from issuer successfully"},
			{crt, "Issued", "The certificate has been successfully issued"},
		} {
			w.Record(e.obj, meta.EventNormal, e.reason, e.msg)
		}
		w.flush(ctx)
	}
}
