package serve

import (
	"crypto/tls"
	"fmt"
	"net"
	"testing"
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
// pays for a fast load.
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
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 && i%names == 0 && mode == "apply-first" {
					b.StopTimer()
					load()
					b.StartTimer()
				}
				handshake(b, c, i%names)
			}
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
