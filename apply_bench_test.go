package certflow

import (
	"context"
	"strconv"
	"testing"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkApply measures Manager.Apply of one Certificate on the memory
// store (the Manager not running, so only Apply's own work counts), beside
// its floor measured in the same run: a bare Store Create of the same
// object, which is what Apply does for a new Certificate after checking
// and defaulting it.
//
//	create         Apply of a new Certificate
//	store-create   the baseline: memory.Store.Create of the same Certificate
//	unchanged      Apply of a stored Certificate with the same spec (a
//	               program applying its manifest again at every start)
//	store-get      the baseline for unchanged: a Store Get of it
//	changed        Apply of a stored Certificate with a new spec: a Get, a
//	               comparison, an Update
//
//	go test -run '^$' -bench '^BenchmarkApply$' -benchtime 20000x .
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	cert := func(i int) *certificate.Certificate {
		name := "c" + strconv.Itoa(i)
		return testrig.Certificate("bench", name, "ca", name+".bench.test")
	}
	newManager := func(b *testing.B) (*Manager, *memory.Store) {
		st := memory.New()
		m, err := New(Config{Store: st})
		if err != nil {
			b.Fatal(err)
		}
		return m, st
	}
	b.Run("create", func(b *testing.B) {
		m, _ := newManager(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := m.Apply(ctx, cert(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("store-create", func(b *testing.B) {
		_, st := newManager(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c := cert(i)
			c.Default() // as Apply stores it
			c.ObjectMeta.Generation = 1
			if err := st.Create(ctx, c); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	// stored fills a Manager's Store with n Certificates by Apply.
	stored := func(b *testing.B, n int) *Manager {
		m, _ := newManager(b)
		for i := range n {
			if err := m.Apply(ctx, cert(i)); err != nil {
				b.Fatal(err)
			}
		}
		return m
	}
	const held = 1000
	b.Run("unchanged", func(b *testing.B) {
		m := stored(b, held)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := m.Apply(ctx, cert(i%held)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("store-get", func(b *testing.B) {
		m := stored(b, held)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c := &certificate.Certificate{}
			ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "bench", Name: "c" + strconv.Itoa(i%held)}
			if err := m.cfg.Store.Get(ctx, ref, c); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("changed", func(b *testing.B) {
		m := stored(b, held)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			c := cert(i % held)
			c.Spec.DNSNames = append(c.Spec.DNSNames, "r"+strconv.Itoa(i)+".bench.test")
			if err := m.Apply(ctx, c); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
