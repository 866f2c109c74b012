package serve

import (
	"crypto"
	"fmt"
	"runtime"
	"testing"

	"github.com/certflow/certflow/secret"
)

// BenchmarkServedBytes reports what the Cache keeps per certificate
// (bytes/cert: the live heap it adds, after a collection, divided by the
// Secrets loaded; the Secrets themselves are allocated before and not
// counted), for n real CA-signed ECDSA Secrets:
//
//   - apply: loaded by Apply, as a Manager does at start;
//   - apply-used: the same after every key was used once (parsed by a
//     first handshake);
//   - put: loaded by PutSecret one at a time, as the Store watch does.
//
// One op is one load; the figure is the same for every op, so run it with
// -benchtime=1x.
func BenchmarkServedBytes(b *testing.B) {
	var secrets benchSecrets
	for _, n := range []int{10_000, 100_000} {
		for _, mode := range []string{"apply", "apply-used", "put"} {
			b.Run(fmt.Sprintf("n=%d/%s", n, mode), func(b *testing.B) {
				list := secrets.get(b, n)
				var perCert float64
				for b.Loop() {
					perCert = servedBytes(b, list, mode)
				}
				b.ReportMetric(perCert, "bytes/cert")
			})
		}
	}
}

// servedBytes loads list into a new Cache as mode says and returns the
// live heap it added per Secret.
func servedBytes(b *testing.B, list []*secret.Secret, mode string) float64 {
	before := liveHeap()
	c := NewCache(Options{})
	switch mode {
	case "put":
		for _, s := range list {
			if err := c.PutSecret(s); err != nil {
				b.Fatal(err)
			}
		}
	default:
		if err := c.Apply(list, nil); err != nil {
			b.Fatal(err)
		}
	}
	if mode == "apply-used" {
		for e := range c.certs.secrets.all {
			if e.cert.PrivateKey.(crypto.Signer).Public() == nil {
				b.Fatalf("%s: unusable key", e.ref)
			}
		}
	}
	after := liveHeap()
	runtime.KeepAlive(c)
	return float64(int64(after)-int64(before)) / float64(len(list))
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
