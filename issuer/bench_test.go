package issuer

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/certflow/certflow/internal/pki"
)

// BenchmarkCASign signs an ECDSA P-256 CSR with a CA issuer through a Signer
// whose key pair cache is warm: one Store read, one CSR check, one signature.
// Its floors, measured in the same run: floor-x509 is crypto/x509's
// CreateCertificate of the same template with the CA's key (what a CA
// cannot do without: it signs, then checks the signature, as crypto/x509
// always does), and floor-ecdsa one bare ECDSA signature of a digest.
func BenchmarkCASign(b *testing.B) {
	e := newEnv(b)
	ca := newTestCA(b, time.Time{})
	e.putSecret(b, "ns", "ca-key-pair", ca.secretData(b, true))
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
	b.Run("floor-x509", func(b *testing.B) {
		csr, err := pki.ParseCSR(in.CSR)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		tmpl, err := pki.TemplateFromCSR(csr, pki.LeafTemplate{NotBefore: now, NotAfter: now.Add(DefaultDuration)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := pki.SignCertificate(tmpl, csr.PublicKey, ca.inter, ca.interKey); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor-ecdsa", func(b *testing.B) {
		digest := sha256.Sum256([]byte("tbsCertificate"))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ca.interKey.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
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
