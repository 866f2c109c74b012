package etcd_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certflow/certflow/internal/cputime"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
	"github.com/certflow/certflow/store/file"
	"github.com/certflow/certflow/store/memory"
	"github.com/certflow/certflow/store/storetest"
)

// The benchmarks compare the etcd store (a real etcd in this process, one
// loopback hop through etcdtest's proxy, every write fsynced by etcd) with
// the memory and file stores (durable: every write fsynced) in one run: a
// benchmark per operation, a sub-benchmark per store.

// benchWidget is a Secret-sized object, as in the other stores' benchmarks.
func benchWidget(name string) *storetest.Widget {
	w := storetest.NewWidget("default", name, map[string]string{
		"tls.crt": strings.Repeat("MIIB", 400),
		"tls.key": strings.Repeat("MIIE", 60),
	})
	w.Metadata.Labels = map[string]string{"app": "web", "certflow.io/certificate": "example-com"}
	w.Metadata.OwnerRefs = []meta.Ref{{Kind: meta.KindCertificate, Namespace: "default", Name: "example-com"}}
	return w
}

type benchStore struct {
	name string
	open func(b *testing.B) store.Store
}

// benchStores returns the stores to compare; the etcd server is started
// once per benchmark.
func benchStores(parent *testing.B) []benchStore {
	var srv *etcdtest.Server
	var n int
	return []benchStore{
		{"memory", func(b *testing.B) store.Store { return memory.New() }},
		{"file", func(b *testing.B) store.Store {
			s, err := file.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"etcd", func(b *testing.B) store.Store {
			if srv == nil {
				srv = etcdtest.Start(parent) // shared by the sub-benchmarks
			}
			n++
			return openStore(b, srv, etcd.Config{Prefix: fmt.Sprintf("/bench/%d/", n)})
		}},
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	for _, bs := range benchStores(b) {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			w := benchWidget("get")
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
		})
	}
}

func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	for _, bs := range benchStores(b) {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				if err := s.Create(ctx, benchWidget(fmt.Sprintf("create-%d", i))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUpdate updates one object with the version the last Update
// returned. "etcd-two-writers" alternates two stores (two processes), so
// no store knows the version it updates and each Update reads it first.
func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	stores := benchStores(b)
	for _, bs := range stores {
		b.Run(bs.name, func(b *testing.B) { benchUpdate(ctx, b, bs.open(b)) })
	}
	etcdStore := stores[len(stores)-1]
	b.Run("etcd-two-writers", func(b *testing.B) {
		first := etcdStore.open(b)
		second, err := etcd.Open(etcd.Config{Client: first.(*etcd.Store).Client(), Prefix: first.(*etcd.Store).Prefix()})
		if err != nil {
			b.Fatal(err)
		}
		defer second.Close()
		benchUpdate(ctx, b, first, second)
	})
}

// benchUpdate updates one object through the stores in turn.
func benchUpdate(ctx context.Context, b *testing.B, stores ...store.Store) {
	w := benchWidget("update")
	if err := stores[0].Create(ctx, w); err != nil {
		b.Fatal(err)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		if err := stores[i%len(stores)].Update(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWatch measures an Update until a watcher receives its event
// (the file store's watch polls, every 100 ms by default).
func BenchmarkWatch(b *testing.B) {
	ctx := context.Background()
	for _, bs := range benchStores(b) {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			w := benchWidget("watch")
			if err := s.Create(ctx, w); err != nil {
				b.Fatal(err)
			}
			wctx, cancel := context.WithCancel(ctx)
			defer cancel()
			events, err := s.Watch(wctx, revision(b, w.Metadata.ResourceVersion))
			if err != nil {
				b.Fatal(err)
			}
			var afterWrite time.Duration
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Update(ctx, w); err != nil {
					b.Fatal(err)
				}
				written := time.Now()
				want := revision(b, w.Metadata.ResourceVersion)
				for ev := range events {
					if ev.Err != nil {
						b.Fatal(ev.Err)
					}
					if ev.Revision == want {
						break
					}
				}
				afterWrite += time.Since(written)
			}
			b.ReportMetric(float64(afterWrite.Nanoseconds())/float64(b.N), "ns-after-write/op")
		})
	}
}

// BenchmarkList lists 5,000 Secret-sized objects of one kind with
// PageSize left zero (pages growing from DefaultPageSize): what a
// Manager's start reads, per 5k objects. It reports the process's CPU
// per list (cpu-ns/op), etcd's share included: on a shared machine wall
// time says little.
func BenchmarkList(b *testing.B) {
	const n = 5000
	ctx := context.Background()
	srv := etcdtest.Start(b)
	s := openStore(b, srv, etcd.Config{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 32 { // etcd batches the fsyncs of concurrent writes
		wg.Go(func() {
			for i := w; i < n; i += 32 {
				errs <- s.Create(ctx, benchWidget(fmt.Sprintf("w%05d", i)))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	began, ok := cputime.Process()
	for b.Loop() {
		res, err := s.List(ctx, store.ListOptions{Kind: storetest.KindWidget})
		if err != nil || len(res.Items) != n {
			b.Fatal(len(res.Items), err)
		}
	}
	if end, ok2 := cputime.Process(); ok && ok2 {
		b.ReportMetric(float64(end-began)/float64(b.N), "cpu-ns/op")
	}
}
