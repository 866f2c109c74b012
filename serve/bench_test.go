package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"
)

// lookupKinds are the server names a handshake brings, each compared with
// a bare map lookup of the same name already lower-cased:
//   - exact: "host-000042.example.com", a lower-case exact hit;
//   - wildcard: "www.tenant-000042.example.com", served by "*.tenant-….";
//   - mixedcase: "HOST-000042.Example.COM", an exact hit after folding;
//   - wildcard-mixedcase: "WWW.Tenant-000042.EXAMPLE.com".
var lookupKinds = []string{"exact", "wildcard", "mixedcase", "wildcard-mixedcase"}

// benchSet is a Cache of n exact and n wildcard certificates, the hellos
// of each kind in random order, and for each hello its floor: a hello with
// the lower-cased name, looked up in a bare map from name to certificate.
type benchSet struct {
	cache   *Cache
	floor   map[string]*tls.Certificate
	hellos  map[string][]*tls.ClientHelloInfo
	floorOf map[string][]*tls.ClientHelloInfo
	entries []*certEntry
}

// newBenchSet builds the *tls.Certificates directly: one shared key and DER,
// a Leaf carrying only what the index reads (SANs, NotAfter). Signing 200k
// real certificates would take minutes and measure nothing more.
func newBenchSet(b *testing.B, n int) *benchSet {
	b.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	notAfter := time.Now().Add(90 * 24 * time.Hour)
	s := &benchSet{
		cache:   NewCache(Options{}),
		floor:   make(map[string]*tls.Certificate, 2*n),
		hellos:  map[string][]*tls.ClientHelloInfo{},
		floorOf: map[string][]*tls.ClientHelloInfo{},
	}
	protos := []string{"h2", "http/1.1"}
	add := func(san, sni, mixed string, kind string) {
		cert := &tls.Certificate{
			Certificate: [][]byte{{0}},
			PrivateKey:  key,
			Leaf:        &x509.Certificate{DNSNames: []string{san}, NotAfter: notAfter},
		}
		s.entries = append(s.entries, newCertEntry(secretRef("bench", fmt.Sprint(kind, len(s.entries))), cert))
		s.floor[sni] = cert
		// Separate copies, as names parsed off the wire would be: sharing
		// the map key's bytes would let string comparison short-circuit on
		// pointer equality and flatter the floor.
		floorHello := &tls.ClientHelloInfo{ServerName: strings.Clone(sni), SupportedProtos: protos}
		s.hellos[kind] = append(s.hellos[kind], &tls.ClientHelloInfo{ServerName: strings.Clone(sni), SupportedProtos: protos})
		s.floorOf[kind] = append(s.floorOf[kind], floorHello)
		s.hellos[kind+"-mixedcase"] = append(s.hellos[kind+"-mixedcase"], &tls.ClientHelloInfo{ServerName: mixed, SupportedProtos: protos})
		s.floorOf[kind+"-mixedcase"] = append(s.floorOf[kind+"-mixedcase"], floorHello)
	}
	for i := 0; i < n; i++ {
		add(fmt.Sprintf("host-%06d.example.com", i), fmt.Sprintf("host-%06d.example.com", i),
			fmt.Sprintf("HOST-%06d.Example.COM", i), "exact")
		add(fmt.Sprintf("*.tenant-%06d.example.com", i), fmt.Sprintf("www.tenant-%06d.example.com", i),
			fmt.Sprintf("WWW.Tenant-%06d.EXAMPLE.com", i), "wildcard")
	}
	s.hellos["mixedcase"], s.floorOf["mixedcase"] = s.hellos["exact-mixedcase"], s.floorOf["exact-mixedcase"]
	s.cache.update(s.entries, nil)
	// One permutation per kind, shared by the hellos and their floors, so
	// both walk memory in the same order.
	rng := mrand.New(mrand.NewPCG(1, 2))
	for _, kind := range lookupKinds {
		hs, fs := s.hellos[kind], s.floorOf[kind]
		rng.Shuffle(len(hs), func(i, j int) {
			hs[i], hs[j] = hs[j], hs[i]
			fs[i], fs[j] = fs[j], fs[i]
		})
	}
	return s
}

// BenchmarkGetCertificate compares, in one run, GetCertificate with a bare
// map[string]*tls.Certificate lookup of the lower-cased name (the floor) for
// each kind of name and index size. Each "cache" line reports x-map, its
// time over the floor measured just before it; the goal is ≤ 1.5 and 0
// allocations.
func BenchmarkGetCertificate(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		set := newBenchSet(b, n)
		for _, kind := range lookupKinds {
			var floorNs float64
			b.Run(fmt.Sprintf("n=%d/%s/map", n, kind), func(b *testing.B) {
				floorNs = benchSerial(b, set.floorOf[kind], func(h *tls.ClientHelloInfo) *tls.Certificate {
					return set.floor[h.ServerName]
				})
			})
			b.Run(fmt.Sprintf("n=%d/%s/cache", n, kind), func(b *testing.B) {
				ns := benchSerial(b, set.hellos[kind], func(h *tls.ClientHelloInfo) *tls.Certificate {
					cert, _ := set.cache.GetCertificate(h)
					return cert
				})
				b.ReportMetric(ns/floorNs, "x-map")
			})
		}
		// Many handshakes at once: readers share nothing they write.
		b.Run(fmt.Sprintf("n=%d/exact/map-parallel", n), func(b *testing.B) {
			benchParallel(b, set.floorOf["exact"], func(h *tls.ClientHelloInfo) *tls.Certificate { return set.floor[h.ServerName] })
		})
		b.Run(fmt.Sprintf("n=%d/exact/cache-parallel", n), func(b *testing.B) {
			benchParallel(b, set.hellos["exact"], func(h *tls.ClientHelloInfo) *tls.Certificate {
				cert, _ := set.cache.GetCertificate(h)
				return cert
			})
		})
	}
}

// benchSerial looks the hellos up in turn and returns the time per lookup.
func benchSerial(b *testing.B, hellos []*tls.ClientHelloInfo, get func(*tls.ClientHelloInfo) *tls.Certificate) float64 {
	b.ReportAllocs()
	misses := 0
	i := 0
	for b.Loop() {
		if get(hellos[i]) == nil {
			misses++
		}
		if i++; i == len(hellos) {
			i = 0
		}
	}
	if misses > 0 {
		b.Fatalf("%d lookups missed", misses)
	}
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}

func benchParallel(b *testing.B, hellos []*tls.ClientHelloInfo, get func(*tls.ClientHelloInfo) *tls.Certificate) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := mrand.IntN(len(hellos))
		for pb.Next() {
			if get(hellos[i]) == nil {
				b.Error("lookup missed")
				return
			}
			if i++; i == len(hellos) {
				i = 0
			}
		}
	})
}
