package certflow

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/certflow/certflow/meta"
)

// BenchmarkWorkQueue_BurstHeld reports the most the work queue holds during
// a burst of n Certificates worked through as the Manager works a CA
// issuance: every Certificate applied at once and queued by the watch,
// then each visit deciding on the two objects a CA issuance reconciles
// (the Certificate and its request), whose changes the watch delivers a little
// behind (lag changes). Bytes are those of the live heap after a
// collection, measured after the apply, halfway and before the last visit
// ends (the queue drains then, and gives back what the burst grew): the
// most of the three (peak-B/cert), and the last (end-B/cert: when the
// process's live heap peaks, the Store being full); the references'
// strings are made beforehand (they are the Store's).
//
// It runs on a build without Seen too (the watch's progress is then not
// told), so main's build and this one compare in the same run.
func BenchmarkWorkQueue_BurstHeld(b *testing.B) {
	const lag = 256
	for _, n := range []int{20000, 100000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ctx := context.Background()
			refs := make([][2]meta.Ref, n)
			for i := range refs {
				name := fmt.Sprintf("c%d", i)
				refs[i] = [2]meta.Ref{
					{Kind: meta.KindCertificate, Namespace: "ns", Name: name},
					{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: name + "-1"},
				}
			}
			var most, atEnd uint64
			for range b.N {
				q := newWorkQueue()
				seen, _ := any(q).(interface{ Seen(uint64) })
				base := liveHeap()
				measure := func() {
					if h := liveHeap(); h > base {
						most, atEnd = max(most, h-base), h-base
					} else {
						atEnd = 0
					}
				}
				rev := uint64(0)
				deliver := func(ref meta.Ref, v uint64) {
					q.AddChange(ref, strconv.FormatUint(v, 10))
					if seen != nil {
						seen.Seen(v)
					}
				}
				for i := range n {
					rev++
					deliver(refs[i][0], rev)
				}
				measure()
				type change struct {
					ref meta.Ref
					v   uint64
				}
				var behind []change
				for i := range n {
					got, ok := q.Get(ctx)
					if !ok {
						b.Fatal("queue ended")
					}
					for _, r := range refs[i] {
						rev++
						q.Decided(r, strconv.FormatUint(rev, 10))
						behind = append(behind, change{r, rev})
					}
					for len(behind) > lag {
						deliver(behind[0].ref, behind[0].v)
						behind = behind[1:]
					}
					if i == n/2 || i == n-1 {
						measure()
					}
					q.Done(got)
				}
				if q.Len() != 0 {
					b.Fatalf("%d visits queued by changes already decided on", q.Len())
				}
			}
			b.ReportMetric(float64(most)/float64(n), "peak-B/cert")
			b.ReportMetric(float64(atEnd)/float64(n), "end-B/cert")
		})
	}
}
