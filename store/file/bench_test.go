package file_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/certflow/certflow/internal/cputime"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/storetest"
)

func benchWidget() *storetest.Widget {
	w := storetest.NewWidget("default", "example-com-tls", map[string]string{
		"tls.crt": strings.Repeat("MIIB", 400),
		"tls.key": strings.Repeat("MIIE", 60),
	})
	w.Metadata.Labels = map[string]string{"app": "web", "certflow.io/certificate": "example-com"}
	w.Metadata.OwnerRefs = []meta.Ref{{Kind: meta.KindCertificate, Namespace: "default", Name: "example-com"}}
	return w
}

func benchStore(b *testing.B, opts ...file.Option) *file.Store {
	s, err := file.Open(b.TempDir(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b)
	w := benchWidget()
	if err := s.Create(ctx, w); err != nil {
		b.Fatal(err)
	}
	ref := w.Ref()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		var got storetest.Widget
		if err := s.Get(ctx, ref, &got); err != nil {
			b.Fatal(err)
		}
	}
}

func benchUpdate(b *testing.B, opts ...file.Option) {
	ctx := context.Background()
	s := benchStore(b, opts...)
	w := benchWidget()
	if err := s.Create(ctx, w); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Update(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdate measures a durable update: log append and object file,
// each fsynced, plus the directory fsync after the rename.
func BenchmarkUpdate(b *testing.B) { benchUpdate(b) }

// BenchmarkUpdateWithoutSync shows what the fsyncs cost.
func BenchmarkUpdateWithoutSync(b *testing.B) { benchUpdate(b, file.WithoutSync()) }

// BenchmarkList lists 10,000 objects of one kind and namespace: what a
// Manager's start reads, per 10k objects.
func BenchmarkList(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b, file.WithoutSync())
	for i := range 10000 {
		w := benchWidget()
		w.Metadata.Name = fmt.Sprintf("w%05d", i)
		if err := s.Create(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
		if err != nil || len(res.Items) != 10000 {
			b.Fatal(len(res.Items), err)
		}
	}
}

// reportCPU returns a function that reports the process's CPU time per
// operation since reportCPU was called (cpu-ns/op): on a machine other
// work shares, wall time per operation says little.
func reportCPU(b *testing.B) func() {
	began, ok := cputime.Process()
	return func() {
		if end, ok2 := cputime.Process(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-began)/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkOpen opens a store of 20,000 objects closed cleanly: quickly,
// as Open does by default, and WithFullOpen, which looks at every file as
// Open does after a crash.
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, err := file.Open(dir, file.WithoutSync())
	if err != nil {
		b.Fatal(err)
	}
	for i := range 20000 {
		w := benchWidget()
		w.Metadata.Name = fmt.Sprintf("w%05d", i)
		if err := s.Create(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		opts []file.Option
	}{
		{"quick", nil},
		{"full", []file.Option{file.WithFullOpen()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				s, err := file.Open(dir, append(bc.opts, file.WithoutSync())...)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
