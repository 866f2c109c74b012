package memory

import (
	"context"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// BenchmarkGetMeta compares a version check's read of a request: its
// metadata alone against the whole object.
func BenchmarkGetMeta(b *testing.B) {
	ctx := context.Background()
	s := New()
	req := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r", Labels: map[string]string{"k": "v"},
		OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}}},
		Spec:   request.Spec{Request: make([]byte, 600), Usages: []string{"digital signature", "key encipherment"}},
		Status: request.Status{Certificate: make([]byte, 2400), CA: make([]byte, 1200)}}
	if err := s.Create(ctx, req); err != nil {
		b.Fatal(err)
	}
	ref := meta.RefOf(req)
	newObject := func() meta.Object { return &request.CertificateRequest{} }
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Get(ctx, ref, newObject()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get-meta", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.GetMeta(ctx, ref, newObject); err != nil {
				b.Fatal(err)
			}
		}
	})
}
