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

// benchSet is a Cache of n exact and n wildcard certificates, the hellos
// that hit them in random order, and the floor: a bare map from each hello's
// name to its certificate.
type benchSet struct {
	cache *Cache
	floor map[string]*tls.Certificate
	// bareExact and bareWild are the two plain maps a wildcard lookup
	// needs at least: a miss on the full name, then a hit on the parent.
	bareExact, bareWild map[string]*tls.Certificate
	hellos              map[string][]*tls.ClientHelloInfo // by kind: exact, exact-mixedcase, wildcard
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
		cache: NewCache(Options{}),
		floor: make(map[string]*tls.Certificate, 2*n),

		bareExact: make(map[string]*tls.Certificate, n),
		bareWild:  make(map[string]*tls.Certificate, n),
		hellos:    map[string][]*tls.ClientHelloInfo{},
	}
	entries := make([]*certEntry, 0, 2*n)
	protos := []string{"h2", "http/1.1"}
	add := func(kind, san, sni string) {
		cert := &tls.Certificate{
			Certificate: [][]byte{{0}},
			PrivateKey:  key,
			Leaf:        &x509.Certificate{DNSNames: []string{san}, NotAfter: notAfter},
		}
		entries = append(entries, newCertEntry(secretRef("bench", fmt.Sprint(kind, len(entries))), cert))
		s.floor[sni] = cert
		if kind == "exact" {
			s.bareExact[strings.Clone(sni)] = cert
		} else {
			s.bareWild[san[2:]] = cert
		}
		// A separate copy, as a name parsed off the wire would be: sharing the
		// map key's bytes would let string comparison short-circuit on
		// pointer equality and flatter the floor.
		s.hellos[kind] = append(s.hellos[kind], &tls.ClientHelloInfo{ServerName: strings.Clone(sni), SupportedProtos: protos})
		if kind == "exact" {
			s.hellos["exact-mixedcase"] = append(s.hellos["exact-mixedcase"],
				&tls.ClientHelloInfo{ServerName: strings.ToUpper(sni[:1]) + sni[1:], SupportedProtos: protos})
		}
	}
	for i := 0; i < n; i++ {
		add("exact", fmt.Sprintf("host-%06d.example.com", i), fmt.Sprintf("host-%06d.example.com", i))
		add("wildcard", fmt.Sprintf("*.tenant-%06d.example.com", i), fmt.Sprintf("www.tenant-%06d.example.com", i))
	}
	s.cache.update(entries, nil)
	rng := mrand.New(mrand.NewPCG(1, 2))
	for _, hs := range s.hellos {
		rng.Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
	}
	return s
}

func BenchmarkGetCertificate(b *testing.B) {
	for _, n := range []int{1, 10_000, 100_000} {
		set := newBenchSet(b, n)
		for _, kind := range []string{"exact", "exact-mixedcase", "wildcard"} {
			hellos := set.hellos[kind]
			b.Run(fmt.Sprintf("n=%d/%s/serial", n, kind), func(b *testing.B) {
				benchSerial(b, hellos, func(h *tls.ClientHelloInfo) *tls.Certificate {
					cert, _ := set.cache.GetCertificate(h)
					return cert
				})
			})
			b.Run(fmt.Sprintf("n=%d/%s/parallel", n, kind), func(b *testing.B) {
				benchParallel(b, hellos, func(h *tls.ClientHelloInfo) *tls.Certificate {
					cert, _ := set.cache.GetCertificate(h)
					return cert
				})
			})
			if kind == "exact-mixedcase" {
				continue // the floor has no case folding; compare with exact's
			}
			b.Run(fmt.Sprintf("n=%d/%s/floor-serial", n, kind), func(b *testing.B) {
				benchSerial(b, hellos, func(h *tls.ClientHelloInfo) *tls.Certificate { return set.floor[h.ServerName] })
			})
			b.Run(fmt.Sprintf("n=%d/%s/floor-parallel", n, kind), func(b *testing.B) {
				benchParallel(b, hellos, func(h *tls.ClientHelloInfo) *tls.Certificate { return set.floor[h.ServerName] })
			})
		}
		b.Run(fmt.Sprintf("n=%d/wildcard/floor-2-lookups-serial", n), func(b *testing.B) {
			benchSerial(b, set.hellos["wildcard"], set.bareWildcard)
		})
		b.Run(fmt.Sprintf("n=%d/wildcard/floor-2-lookups-parallel", n), func(b *testing.B) {
			benchParallel(b, set.hellos["wildcard"], set.bareWildcard)
		})
	}
}

// bareWildcard is the least a wildcard lookup can do with Go maps.
func (s *benchSet) bareWildcard(h *tls.ClientHelloInfo) *tls.Certificate {
	if cert, ok := s.bareExact[h.ServerName]; ok {
		return cert
	}
	return s.bareWild[h.ServerName[strings.IndexByte(h.ServerName, '.')+1:]]
}

func benchSerial(b *testing.B, hellos []*tls.ClientHelloInfo, get func(*tls.ClientHelloInfo) *tls.Certificate) {
	b.ReportAllocs()
	misses := 0
	i := 0
	for b.Loop() {
		if get(hellos[i%len(hellos)]) == nil {
			misses++
		}
		i++
	}
	if misses > 0 {
		b.Fatalf("%d lookups missed", misses)
	}
}

func benchParallel(b *testing.B, hellos []*tls.ClientHelloInfo, get func(*tls.ClientHelloInfo) *tls.Certificate) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := mrand.IntN(len(hellos))
		for pb.Next() {
			if get(hellos[i%len(hellos)]) == nil {
				b.Error("lookup missed")
				return
			}
			i++
		}
	})
}

// BenchmarkApply measures loading n Secrets at start in one batch.
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			set := newBenchSet(b, n/2)
			entries := make([]*certEntry, 0, n)
			for _, e := range set.cache.certs.Load().secrets {
				entries = append(entries, e)
			}
			b.ReportAllocs()
			for b.Loop() {
				NewCache(Options{}).update(entries, nil)
			}
		})
	}
}

// BenchmarkUpdateOne measures one Secret replaced in a loaded index: the
// copy-on-write cost every renewal pays.
func BenchmarkUpdateOne(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			set := newBenchSet(b, n/2)
			var one *certEntry
			for _, e := range set.cache.certs.Load().secrets {
				one = e
				break
			}
			b.ReportAllocs()
			for b.Loop() {
				set.cache.update([]*certEntry{one}, nil)
			}
		})
	}
}
