package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkCAIssuance measures end-to-end issuances (Certificate applied →
// key, CSR, request, approval, CA signature, verification, Secret, status)
// through one Manager on the memory store, ECDSA P-256.
func BenchmarkCAIssuance(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st := memory.New()
	m, err := certflow.New(certflow.Config{Store: st, Workers: 8})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := m.Apply(ctx, testrig.CASecret(b, "bench", "ca-key", clock.Real{}.Now())); err != nil {
		b.Fatal(err)
	}
	if err := m.Apply(ctx, testrig.CAIssuer("bench", "ca", "ca-key")); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	refs := make([]meta.Ref, b.N)
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("c%d", i)
		if err := m.Apply(ctx, testrig.Certificate("bench", name, "ca", name+".example.test")); err != nil {
			b.Fatal(err)
		}
		refs[i] = testrig.CertRef("bench", name)
	}
	for _, ref := range refs {
		if err := m.WaitReady(ctx, ref); err != nil {
			st, _ := m.Status(context.Background(), ref)
			b.Fatalf("%s: %v\n%v", ref, err, st)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "certs/s")
}
