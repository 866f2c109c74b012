package serve

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkServedBytesBesideMemoryStore reports what the Cache adds per
// certificate (bytes/cert) to a memory store already holding the same
// Secrets, as a Manager on the memory store holds them: each Secret is
// created in the store, then loaded by PutSecret, as the Store watch
// does. The leaf's DER the Cache serves is the store's own copy
// (sharedLeaf), so this is less than BenchmarkServedBytes' put. One op
// is one load: run it with -benchtime=1x.
func BenchmarkServedBytesBesideMemoryStore(b *testing.B) {
	var secrets benchSecrets
	for _, n := range []int{10_000} {
		b.Run(fmt.Sprintf("n=%d/put", n), func(b *testing.B) {
			list := secrets.get(b, n)
			var perCert float64
			for b.Loop() {
				perCert = servedBesideStore(b, list)
			}
			b.ReportMetric(perCert, "bytes/cert")
		})
	}
}

func servedBesideStore(b *testing.B, list []*secret.Secret) float64 {
	ctx := context.Background()
	st := memory.New(memory.WithHistory(1))
	for _, s := range list {
		c := *s
		c.ObjectMeta.ResourceVersion = ""
		if err := st.Create(ctx, &c); err != nil {
			b.Fatal(err)
		}
	}
	before := liveHeap()
	c := NewCache(Options{})
	for _, s := range list {
		if err := c.PutSecret(s); err != nil {
			b.Fatal(err)
		}
	}
	after := liveHeap()
	runtime.KeepAlive(c)
	runtime.KeepAlive(st)
	return float64(int64(after)-int64(before)) / float64(len(list))
}
