package issuer

import (
	"testing"
	"time"
)

// BenchmarkCASign signs an ECDSA P-256 CSR with a CA issuer through a Signer
// whose key pair cache is warm: one Store read, one CSR check, one signature.
func BenchmarkCASign(b *testing.B) {
	e := newEnv(b)
	e.putSecret(b, "ns", "ca-key-pair", newTestCA(b, time.Time{}).secretData(b, true))
	s := NewSigner(e.deps)
	iss := caIssuer("ns")
	in := SignInput{Namespace: "ns", CSR: newCSR(b, newKey(b), "svc.example", "www.svc.example")}
	ctx := testCtx(b)
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
