package memory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
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

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	s := memory.New()
	w := benchWidget()
	if err := s.Create(ctx, w); err != nil {
		b.Fatal(err)
	}
	ref := w.Ref()
	b.ReportAllocs()
	for b.Loop() {
		var got storetest.Widget
		if err := s.Get(ctx, ref, &got); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	s := memory.New()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := s.Watch(wctx, 0) // one watcher, as a Manager has; drained below
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ch { // ends when cancel closes the watch
		}
	}()
	defer func() { cancel(); <-done }()
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
