package certflow

import (
	"context"
	"strconv"
	"testing"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkApply measures Manager.Apply of one Certificate (the Manager not
// running, so only Apply's own work counts), beside its floor measured in
// the same run on the same kind of Store: the Store call Apply cannot do
// without.
//
//	create         Apply of a new Certificate
//	store-create   its floor: a Store Create of the same Certificate,
//	               defaulted as Apply stores it
//	unchanged      Apply of a stored Certificate with the same spec (a
//	               program applying its manifest again at every start)
//	store-get      its floor: a Store Get of that Certificate
//	changed        Apply of a stored Certificate with a new spec: a Get, a
//	               comparison, an Update
//
// On the memory store, and on a file store without fsync (with it, the
// fsync of each write is all one would see).
//
//	go test -run '^$' -bench '^BenchmarkApply$' -benchtime 20000x .
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	cert := func(i int) *certificate.Certificate {
		name := "c" + strconv.Itoa(i)
		return testrig.Certificate("bench", name, "ca", name+".bench.test")
	}
	for _, kind := range []string{"memory", "file"} {
		newManager := func(b *testing.B) *Manager {
			var st store.Store = memory.New()
			if kind == "file" {
				fs, err := file.Open(b.TempDir(), file.WithoutSync())
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = fs.Close() })
				st = fs
			}
			m, err := New(Config{Store: st})
			if err != nil {
				b.Fatal(err)
			}
			return m
		}
		// stored returns a Manager whose Store holds n Certificates, applied.
		stored := func(b *testing.B, n int) *Manager {
			m := newManager(b)
			for i := range n {
				if err := m.Apply(ctx, cert(i)); err != nil {
					b.Fatal(err)
				}
			}
			return m
		}
		const held = 1000
		b.Run(kind+"/create", func(b *testing.B) {
			m := newManager(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := m.Apply(ctx, cert(i)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(kind+"/store-create", func(b *testing.B) {
			m := newManager(b)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c := cert(i)
				c.Default()
				c.ObjectMeta.Generation = 1
				if err := m.cfg.Store.Create(ctx, c); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(kind+"/unchanged", func(b *testing.B) {
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
		b.Run(kind+"/store-get", func(b *testing.B) {
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
		b.Run(kind+"/changed", func(b *testing.B) {
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
}
