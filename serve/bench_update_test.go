package serve

import (
	"crypto/tls"
	mrand "math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGetCertificateWhileUpdating is the parallel exact lookup of
// BenchmarkGetCertificate at 10k names, idle and while one writer renews
// certificates as fast as it can (each renewal replaces a Secret by one with
// a new certificate for the same name). reader-ns/op is the CPU time the
// readers' threads spent per lookup: what a writer costs the handshakes
// beyond the CPU it takes itself — chiefly cache lines it changes that they
// read. The renewed names' slots must be fetched again (that is the news);
// nothing else should be.
func BenchmarkGetCertificateWhileUpdating(b *testing.B) {
	const n = 10_000
	var set *benchSet
	for _, writing := range []bool{false, true} {
		b.Run(map[bool]string{false: "idle", true: "updating"}[writing], func(b *testing.B) {
			if set == nil {
				set = newBenchSet(b, n)
				b.ResetTimer()
			}
			stop, done := make(chan struct{}), make(chan struct{})
			var renewals atomic.Int64
			if writing {
				go func() {
					defer close(done)
					renew(set, stop, &renewals)
				}()
			} else {
				close(done)
			}
			hellos := set.hellos["exact"]
			var mu sync.Mutex
			var readTime time.Duration
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				i := mrand.IntN(len(hellos))
				t0 := threadClock()
				for pb.Next() {
					if cert, _ := set.cache.GetCertificate(hellos[i]); cert == nil {
						b.Error("lookup missed")
						return
					}
					if i++; i == len(hellos) {
						i = 0
					}
				}
				mu.Lock()
				readTime += threadClock() - t0
				mu.Unlock()
			})
			close(stop)
			<-done
			b.ReportMetric(float64(readTime.Nanoseconds())/float64(b.N), "reader-ns/op")
			if writing {
				b.ReportMetric(float64(renewals.Load())/float64(b.N), "renewals/op")
			}
		})
	}
}

// renew replaces the exact-name Secrets of set one after another, each by
// a copy with a new certificate, until stop is closed.
func renew(set *benchSet, stop <-chan struct{}, renewals *atomic.Int64) {
	var exact []*certEntry
	for _, e := range set.entries {
		if e.keys[0][0] != '*' {
			exact = append(exact, e)
		}
	}
	for i := 0; ; i = (i + 1) % len(exact) {
		select {
		case <-stop:
			return
		default:
		}
		old := exact[i]
		leaf := *old.cert.Leaf
		leaf.NotAfter = leaf.NotAfter.Add(time.Second)
		cert := &tls.Certificate{Certificate: old.cert.Certificate, PrivateKey: old.cert.PrivateKey, Leaf: &leaf}
		exact[i] = newCertEntry(old.ref, cert, cert.Leaf)
		set.cache.update([]*certEntry{exact[i]}, nil)
		renewals.Add(1)
	}
}
