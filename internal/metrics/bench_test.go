package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkScrape measures a whole scrape (Gather, as promhttp does before
// encoding) of a Manager with n issued certificates: the first one, which
// reads every certificate from the Store; a steady one, with nothing
// changed since the previous scrape; and one after 1% of the certificates
// changed.
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		ctx := context.Background()
		clk := clock.NewFake(epoch)
		st := memory.New(memory.WithClock(clk))
		refs := make([]meta.Ref, n)
		for i := range n {
			c := cert(fmt.Sprintf("ns-%d", i%50), fmt.Sprintf("cert-%06d", i), meta.IssuerRef{Name: "le", Kind: meta.KindClusterIssuer})
			nb, na, rn := epoch, epoch.Add(90*24*time.Hour), epoch.Add(60*24*time.Hour)
			c.Status = certificate.Status{Conditions: ready(meta.ConditionTrue), NotBefore: &nb, NotAfter: &na, RenewalTime: &rn}
			require.NoError(b, st.Create(ctx, c))
			refs[i] = meta.RefOf(c)
		}
		scrape := func(b *testing.B, m *Metrics) {
			reg := prometheus.NewRegistry()
			require.NoError(b, reg.Register(m))
			mfs, err := reg.Gather()
			require.NoError(b, err)
			require.NotEmpty(b, mfs)
		}
		b.Run(fmt.Sprintf("n=%d/first", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				m := New(Options{Clock: clk, Store: st})
				for _, ref := range refs {
					m.Changed(ref)
				}
				b.StartTimer()
				scrape(b, m)
			}
		})
		m := New(Options{Clock: clk, Store: st})
		for _, ref := range refs {
			m.Changed(ref)
		}
		scrape(b, m)
		b.Run(fmt.Sprintf("n=%d/unchanged", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				scrape(b, m)
			}
		})
		b.Run(fmt.Sprintf("n=%d/1%%-changed", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for i := 0; i < n; i += 100 {
					m.Changed(refs[i])
				}
				b.StartTimer()
				scrape(b, m)
			}
		})
	}
}
