package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	mrand "math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"
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
	// Building allocated a lot: collect now rather than during the
	// measurement, which would slow whichever side runs first.
	runtime.GC()
	return s
}

// BenchmarkGetCertificate compares GetCertificate with a bare
// map[string]*tls.Certificate lookup of the lower-cased name (the floor),
// for each kind of name and index size, in two modes:
//
//   - throughput: lookups independent of each other, as a loop over names
//     does; the processor overlaps their cache misses, so the count of
//     instructions around them weighs too.
//   - latency: each lookup's name depends on the result of the one before,
//     so they cannot overlap; this is what one TLS handshake waits for, as
//     lookups are far apart among the handshake's own work.
//
// The two sides are timed in alternating blocks on one locked thread, by its
// CPU time where the OS gives it (see threadClock), so both see the same
// machine. Each line reports map-ns/op and cache-ns/op side by side and
// x-map, their ratio (the goal: ≤ 1.5, with 0 allocations).
func BenchmarkGetCertificate(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		// Built by the first sub-benchmark that runs, so a -bench filter
		// for one size does not pay for the others.
		var set *benchSet
		build := func(b *testing.B) {
			if set == nil {
				set = newBenchSet(b, n)
				b.ResetTimer() // or the first b.N would be sized on building
			}
		}
		for _, kind := range lookupKinds {
			for _, dependent := range []bool{false, true} {
				mode := map[bool]string{false: "throughput", true: "latency"}[dependent]
				b.Run(fmt.Sprintf("n=%d/%s/%s", n, kind, mode), func(b *testing.B) {
					build(b)
					benchSideBySide(b, dependent, set.floorOf[kind], set.hellos[kind],
						func(h *tls.ClientHelloInfo) *tls.Certificate { return set.floor[h.ServerName] },
						func(h *tls.ClientHelloInfo) *tls.Certificate {
							cert, _ := set.cache.GetCertificate(h)
							return cert
						})
				})
			}
		}
		// Many handshakes at once: readers share nothing they write.
		b.Run(fmt.Sprintf("n=%d/exact/map-parallel", n), func(b *testing.B) {
			build(b)
			benchParallel(b, set.floorOf["exact"], func(h *tls.ClientHelloInfo) *tls.Certificate { return set.floor[h.ServerName] })
		})
		b.Run(fmt.Sprintf("n=%d/exact/cache-parallel", n), func(b *testing.B) {
			build(b)
			benchParallel(b, set.hellos["exact"], func(h *tls.ClientHelloInfo) *tls.Certificate {
				cert, _ := set.cache.GetCertificate(h)
				return cert
			})
		})
	}
}

// benchSideBySide runs b.N lookups with floor and b.N with get, in
// alternating blocks (which goes first alternates too), walking the same
// names in the same order, and reports the time of each per lookup. One op
// is one lookup of each. With dependent, the next name's index depends on
// the certificate just found (through an always-zero bit of its address),
// so a lookup cannot start before the one before it ends.
func benchSideBySide(b *testing.B, dependent bool, floorHellos, hellos []*tls.ClientHelloInfo, floor, get func(*tls.ClientHelloInfo) *tls.Certificate) {
	const block = 4096
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	var floorTime, getTime time.Duration
	misses, next := 0, 0
	run := func(hs []*tls.ClientHelloInfo, lookup func(*tls.ClientHelloInfo) *tls.Certificate, i, k int) time.Duration {
		t0 := threadClock()
		for range k {
			cert := lookup(hs[i])
			if cert == nil {
				misses++
			}
			if i++; dependent {
				i += int(uintptr(unsafe.Pointer(cert)) >> 63) // user-space addresses have it 0
			}
			if i >= len(hs) {
				i = 0
			}
		}
		return threadClock() - t0
	}
	for done := 0; done < b.N; done += block {
		k := min(block, b.N-done)
		if (done/block)%2 == 0 {
			floorTime += run(floorHellos, floor, next, k)
			getTime += run(hellos, get, next, k)
		} else {
			getTime += run(hellos, get, next, k)
			floorTime += run(floorHellos, floor, next, k)
		}
		next = (next + k) % len(hellos)
	}
	if misses > 0 {
		b.Fatalf("%d lookups missed", misses)
	}
	b.ReportMetric(float64(floorTime.Nanoseconds())/float64(b.N), "map-ns/op")
	b.ReportMetric(float64(getTime.Nanoseconds())/float64(b.N), "cache-ns/op")
	b.ReportMetric(float64(getTime)/float64(floorTime), "x-map")
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
