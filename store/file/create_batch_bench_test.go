package file_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

// burst is how many Events a benchmark op creates: what the Manager's
// event writer flushes at once under a burst of issuance.
const burst = 64

// benchEvents returns the next burst of new Events, named from *n on.
func benchEvents(n *int) []meta.Object {
	objs := make([]meta.Object, burst)
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for i := range objs {
		*n++
		objs[i] = &meta.Event{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("example-com.%016x", *n)},
			Object:     meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "example-com"},
			Type:       meta.EventNormal, Reason: "Issuing",
			Message: "The certificate has been successfully issued",
			Time:    now, FirstTime: now, ReportingInstance: "certflow-0123456789abcdef",
		}
	}
	return objs
}

// BenchmarkCreateBurst creates burst new Events per op, durably: one
// Create each (three fsyncs one after the other per Event) against one
// CreateBatch (one turn of the lock: a log append, the fsyncs together,
// one directory fsync). ns/event is the time per Event. On this machine's
// ext4, shared (load 6; medians of 5 rounds, alternated): 5.9 ms an Event
// by Create, 1.5 ms by CreateBatch.
func BenchmarkCreateBurst(b *testing.B) {
	for _, bc := range []struct {
		name   string
		create func(ctx context.Context, s *file.Store, objs []meta.Object, errs []error)
	}{
		{"Create", func(ctx context.Context, s *file.Store, objs []meta.Object, errs []error) {
			for i, obj := range objs {
				errs[i] = s.Create(ctx, obj)
			}
		}},
		{"CreateBatch", func(ctx context.Context, s *file.Store, objs []meta.Object, errs []error) {
			store.CreateBatchOf(ctx, s, objs, errs)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			s := benchStore(b)
			errs := make([]error, burst)
			n := 0
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				bc.create(ctx, s, benchEvents(&n), errs)
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*burst), "ns/event")
		})
	}
}
