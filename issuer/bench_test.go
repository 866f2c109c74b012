package issuer

import (
	"context"
	"testing"
	"time"

	"github.com/certflow/certflow/internal/pki"
)

// BenchmarkCASign signs an ECDSA P-256 CSR with a CA issuer through a Signer
// whose key pair cache is warm: one Store read, one CSR check, one signature.
func BenchmarkCASign(b *testing.B) {
	e := newEnv(b)
	e.putSecret(b, "ns", "ca-key-pair", newTestCA(b, time.Time{}).secretData(b, true))
	s := NewSigner(e.deps)
	iss := caIssuer("ns")
	in := SignInput{Namespace: "ns", CSR: newCSR(b, newKey(b), "svc.example", "www.svc.example")}
	// No deadline: a benchmark's rounds may outlast any fixed one.
	ctx := context.Background()
	if _, err := s.Sign(ctx, iss, in); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Sign(ctx, iss, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parsed-csr", func(b *testing.B) {
		parsed, err := pki.ParseCSR(in.CSR)
		if err != nil {
			b.Fatal(err)
		}
		in := in
		in.ParsedCSR = parsed
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Sign(ctx, iss, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Sign(ctx, iss, in); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
