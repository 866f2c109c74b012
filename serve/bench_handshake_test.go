package serve

import (
	"crypto/tls"
	"fmt"
	"net"
	"testing"
	"time"
)

// BenchmarkHandshake is one full TLS 1.3 handshake (client and server, over
// an in-memory pipe) per op, for a name whose Secret was loaded:
//
//   - put: by PutSecret, the key parsed at load;
//   - apply-first: by Apply, each handshake the first of its name, so it
//     parses the key (what deferring keys costs, once per Secret);
//   - apply-again: by Apply, every key already used once.
//
// apply-first minus apply-again is what the first handshake of a name
// pays for a fast load. cpu-us/op is the CPU time the process spent per
// handshake (both ends), which a busy shared machine inflates less than
// ns/op.
func BenchmarkHandshake(b *testing.B) {
	const names = 512
	list, err := makeTLSSecrets(names)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"put", "apply-first", "apply-again"} {
		b.Run(mode, func(b *testing.B) {
			var c *Cache
			load := func() {
				c = NewCache(Options{})
				if mode == "put" {
					for _, s := range list {
						if err := c.PutSecret(s); err != nil {
							b.Fatal(err)
						}
					}
				} else if err := c.Apply(list, nil); err != nil {
					b.Fatal(err)
				}
			}
			load()
			if mode == "apply-again" {
				for i := range names {
					handshake(b, c, i)
				}
			}
			b.ReportAllocs()
			var cpu time.Duration // the process's, but for reloads
			b.ResetTimer()
			t0 := processClock()
			for i := 0; i < b.N; i++ {
				if i > 0 && i%names == 0 && mode == "apply-first" {
					b.StopTimer()
					cpu += processClock() - t0
					load()
					t0 = processClock()
					b.StartTimer()
				}
				handshake(b, c, i%names)
			}
			cpu += processClock() - t0
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
		})
	}
}

// handshake completes a TLS handshake with c for the name of Secret i of
// makeTLSSecrets.
func handshake(b *testing.B, c *Cache, i int) {
	sc, cc := net.Pipe()
	defer sc.Close()
	defer cc.Close()
	server := tls.Server(sc, c.TLSConfig())
	done := make(chan error, 1)
	go func() { done <- server.Handshake() }()
	client := tls.Client(cc, &tls.Config{ServerName: fmt.Sprintf("site-%06d.example.com", i), InsecureSkipVerify: true})
	if err := client.Handshake(); err != nil {
		b.Fatal(err)
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDeferredKey is what the first handshake of a Secret loaded by
// Apply pays beyond any other: parsing its key and matching it against the
// leaf (lazyKey.load), for a P-256 key. Compare with BenchmarkHandshake's
// cpu-us/op, a whole handshake.
func BenchmarkDeferredKey(b *testing.B) {
	list, err := makeTLSSecrets(1)
	if err != nil {
		b.Fatal(err)
	}
	c := NewCache(Options{})
	e, err := c.parseSecret(list[0], true)
	if err != nil {
		b.Fatal(err)
	}
	der := e.cert.PrivateKey.(*lazyKey).keyDER
	b.ReportAllocs()
	cpu := processClock()
	for b.Loop() {
		k := &lazyKey{entry: e, keyDER: der, cache: c}
		if _, err := k.load(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((processClock()-cpu).Microseconds())/float64(b.N), "cpu-us/op")
}
