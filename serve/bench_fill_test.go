package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/certflow/certflow/secret"
)

// fillSizes are the numbers of Secrets BenchmarkFill loads.
var fillSizes = []int{1_000, 10_000, 100_000}

// benchSecrets holds real TLS Secrets for BenchmarkFill, made once per test
// binary run: signing 100k certificates takes seconds, and every size uses
// a prefix of the same list.
type benchSecrets struct {
	once sync.Once
	list []*secret.Secret
	err  error
}

func (bs *benchSecrets) get(b *testing.B, n int) []*secret.Secret {
	b.Helper()
	bs.once.Do(func() { bs.list, bs.err = makeTLSSecrets(fillSizes[len(fillSizes)-1]) })
	if bs.err != nil {
		b.Fatal(bs.err)
	}
	return bs.list[:n]
}

// makeTLSSecrets returns n Secrets as a Manager stores them: a CA-signed
// leaf for "site-<i>.example.com" and its key, numbered ResourceVersions.
// The leaves share one key (each Secret still carries and parses its own
// copy): only the certificate's names matter to the index.
func makeTLSSecrets(n int) ([]*secret.Secret, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	out := make([]*secret.Secret, n)
	for i := range out {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i) + 2),
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(12 * time.Hour),
			DNSNames:     []string{fmt.Sprintf("site-%06d.example.com", i)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &leafKey.PublicKey, caKey)
		if err != nil {
			return nil, err
		}
		s := tlsSecret("bench", fmt.Sprint("site-", i), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM)
		s.ObjectMeta.ResourceVersion = strconv.Itoa(i + 1)
		out[i] = s
	}
	return out, nil
}

// BenchmarkFill loads n Secrets into an empty Cache, as a Manager does at
// start or when a watch brings them one after another. One op is the whole
// load; ns/op is the total time and cpu-ms/op the CPU time the process
// spent (all threads, garbage collection included), which other work on a
// shared machine does not inflate.
//
//   - secrets/apply: Apply(all), the Manager's resync.
//   - secrets/put: PutSecret for each, every certificate served when its
//     call returns, the Manager's watch.
//   - index/apply, index/put: the same with the certificates already
//     parsed, the index's own share.
func BenchmarkFill(b *testing.B) {
	var secrets benchSecrets
	for _, n := range fillSizes {
		b.Run(fmt.Sprintf("n=%d/secrets/apply", n), func(b *testing.B) {
			list := secrets.get(b, n)
			benchFill(b, func() {
				if err := NewCache(Options{}).Apply(list, nil); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(fmt.Sprintf("n=%d/secrets/put", n), func(b *testing.B) {
			list := secrets.get(b, n)
			benchFill(b, func() {
				c := NewCache(Options{})
				for _, s := range list {
					if err := c.PutSecret(s); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		var entries []*certEntry
		b.Run(fmt.Sprintf("n=%d/index/apply", n), func(b *testing.B) {
			entries = newBenchSet(b, n/2).entries
			benchFill(b, func() { NewCache(Options{}).update(entries, nil) })
		})
		b.Run(fmt.Sprintf("n=%d/index/put", n), func(b *testing.B) {
			benchFill(b, func() {
				c := NewCache(Options{})
				for _, e := range entries {
					c.update([]*certEntry{e}, nil)
				}
			})
		})
	}
}

// benchFill runs fill b.N times and reports its CPU time besides.
func benchFill(b *testing.B, fill func()) {
	b.ReportAllocs()
	runtime.GC()
	b.ResetTimer()
	cpu := processClock()
	for b.Loop() {
		fill()
	}
	b.ReportMetric(float64(processClock()-cpu)/1e6/float64(b.N), "cpu-ms/op")
}

// BenchmarkUpdateOne replaces one Secret in a loaded index: what every
// renewal costs.
func BenchmarkUpdateOne(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			set := newBenchSet(b, n/2)
			one := set.entries[len(set.entries)/2]
			b.ReportAllocs()
			for b.Loop() {
				set.cache.update([]*certEntry{one}, nil)
			}
		})
	}
}

// BenchmarkPutSecretAgain puts the version of a Secret already served, as
// a Manager's watch does after the Manager stored and served it itself.
func BenchmarkPutSecretAgain(b *testing.B) {
	list, err := makeTLSSecrets(1)
	if err != nil {
		b.Fatal(err)
	}
	c := NewCache(Options{})
	if err := c.PutSecret(list[0]); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.PutSecret(list[0]); err != nil {
			b.Fatal(err)
		}
	}
}
