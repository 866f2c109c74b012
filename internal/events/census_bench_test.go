package events

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/file"
)

// BenchmarkFirstEvents writes the first Event of n objects into a file
// store, which has no label index: the baseline lists each object's Events
// before its first (what a Writer without a census does, O(n²) in all),
// census lists nothing after the sweep. CERTFLOW_FIRST_EVENTS=n sets n
// (default 300).
func BenchmarkFirstEvents(b *testing.B) {
	n := 300
	if v, err := strconv.Atoi(os.Getenv("CERTFLOW_FIRST_EVENTS")); err == nil && v > 0 {
		n = v
	}
	for _, census := range []bool{false, true} {
		name := "baseline=list-per-object"
		if census {
			name = "census"
		}
		b.Run(fmt.Sprintf("%s/n=%d", name, n), func(b *testing.B) {
			ctx := b.Context()
			var lists int64
			for b.Loop() {
				b.StopTimer()
				st, err := file.Open(b.TempDir(), file.WithoutSync())
				if err != nil {
					b.Fatal(err)
				}
				counted := storecount.New(st)
				w := NewWriter(Options{Store: counted, Clock: clock.Real{}, MaxPending: n})
				b.StartTimer()
				if census {
					w.sweep(ctx)
				}
				for i := range n {
					w.Record(meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("c", i)},
						meta.EventNormal, "Issued", "issued")
				}
				w.flush(ctx)
				b.StopTimer()
				lists += counted.Counts().Of(storecount.List)
				_ = st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(lists)/float64(b.N), "lists/op")
		})
	}
}
