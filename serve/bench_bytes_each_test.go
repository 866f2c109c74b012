package serve

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/certflow/certflow/secret"
)

// BenchmarkServedBytesOneByOne loads Secrets one at a time, as a Manager
// serves those its issuances write: PutSecret (key parsed and matched now)
// beside Apply of one Secret (key parsed at its first handshake), the live
// heap the Cache adds per Secret and the time per Secret.
//
//	go test -run '^$' -bench ServedBytesOneByOne -benchtime 1x ./serve
func BenchmarkServedBytesOneByOne(b *testing.B) {
	var secrets benchSecrets
	list := secrets.get(b, 10_000)
	for _, mode := range []string{"put", "apply-one"} {
		b.Run(fmt.Sprintf("n=%d/%s", len(list), mode), func(b *testing.B) {
			var perCert float64
			for b.Loop() {
				before := liveHeap()
				c := NewCache(Options{})
				for _, s := range list {
					var err error
					if mode == "put" {
						err = c.PutSecret(s)
					} else {
						err = c.Apply([]*secret.Secret{s}, nil)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				after := liveHeap()
				runtime.KeepAlive(c)
				perCert = float64(int64(after)-int64(before)) / float64(len(list))
			}
			b.ReportMetric(perCert, "bytes/cert")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(list)), "ns/secret")
		})
	}
}
