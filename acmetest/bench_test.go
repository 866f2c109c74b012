package acmetest_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// BenchmarkIssue measures one whole always-valid issuance (order,
// authorization, finalize, download) from a single client.
func BenchmarkIssue(b *testing.B) {
	ctx := testCtx(b, 5*time.Minute)
	s := acmetest.NewServer(b, acmetest.WithAlwaysValid())
	cl := registeredClient(ctx, b, s)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, _, err := issue(ctx, cl, []string{fmt.Sprintf("b%d.example.test", i)}, anyChallenge); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIssueConcurrent measures always-valid issuances from many
// clients at once (16 per core, each with its own account) sharing
// Client, as a suite of parallel tests sharing a server does. Run it with
// -benchtime=Nx; ns/op is the wall time per certificate.
func BenchmarkIssueConcurrent(b *testing.B) {
	ctx := testCtx(b, 5*time.Minute)
	s := acmetest.NewServer(b, acmetest.WithAlwaysValid())
	const perCore = 16
	b.SetParallelism(perCore)
	n := perCore * runtime.GOMAXPROCS(0) // the goroutines RunParallel starts
	clients := make(chan *acme.Client, n)
	for range n {
		clients <- registeredClient(ctx, b, s)
	}
	var next atomic.Int64
	before := len(s.RequestLog())
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		cl := <-clients
		for pb.Next() {
			name := fmt.Sprintf("p%d.example.test", next.Add(1))
			if _, _, err := issue(ctx, cl, []string{name}, anyChallenge); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(len(s.RequestLog())-before)/float64(b.N), "req/cert")
}
