package rfc2136

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/certflow/certflow/internal/bindtest"
	"github.com/certflow/certflow/solver/dns01"
)

// BenchmarkRFC2136PresentToPropagated measures Present followed by Check
// calls until one passes, against BIND on loopback. Besides ns/op it
// reports the median (p50-ns), the checks needed and the queries each
// check sends. Run: go test -run '^$' -bench PresentToPropagated -benchtime 20x ./solver/rfc2136
func BenchmarkRFC2136PresentToPropagated(b *testing.B) {
	srv := startBIND(b, bindtest.Options{})
	ctx := testCtx(b)
	checker, err := dns01.New(dns01.Config{Resolvers: []string{srv.Addr}, NameserverPort: srv.Port})
	if err != nil {
		b.Fatal(err)
	}
	s := newSolver(b, srv, func(c *Config) { c.Checker = checker })
	var durations []time.Duration
	checks := 0
	startQueries := checker.Stats().Queries

	for i := 0; b.Loop(); i++ {
		ch := challenge("host.example.test", false, fmt.Sprintf("tok-%d.thumb", i))
		start := time.Now()
		if err := s.Present(ctx, ch); err != nil {
			b.Fatal(err)
		}
		for {
			checks++
			err := s.Check(ctx, ch)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				b.Fatalf("never propagated: %v", err)
			}
		}
		durations = append(durations, time.Since(start))
		b.StopTimer()
		if err := s.CleanUp(ctx, ch); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(checks)/float64(len(durations)), "checks/op")
	b.ReportMetric(float64(checker.Stats().Queries-startQueries)/float64(checks), "queries/check")
}
