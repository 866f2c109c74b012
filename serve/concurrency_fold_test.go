package serve

import (
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestConcurrentLookupsWhileTablesGrowAndTurnNotPlain reads names of 17 to
// 32 bytes (lookup's inlined foldKeys.mix, find's call-free loop), exact and
// under wildcards, in mixed case, while a writer grows both tables through
// rebuilds and then files keys that are not plain ('_'), which switches
// find to findFolded part-way through readers' probes. A name loaded
// before the readers start stays served throughout, by its own
// certificate, and a name never loaded is never served. Under -race it
// also checks the order in which fill publishes a key and notPlain.
func TestConcurrentLookupsWhileTablesGrowAndTurnNotPlain(t *testing.T) {
	c := NewCache(Options{})
	type want struct {
		name string
		cert *tls.Certificate
	}
	var fixed []want
	var entries []*certEntry
	for n := 17; n <= 32; n++ {
		exact := strings.Repeat("e", n-len(".example")-2) + fmt.Sprintf("%02d", n) + ".example"
		parent := strings.Repeat("p", n-len(".example")-2) + fmt.Sprintf("%02d", n) + ".example"
		e := fakeEntry(fmt.Sprint("fixed", n), time.Now(), exact, "*."+parent)
		entries = append(entries, e)
		fixed = append(fixed, want{exact, e.cert}, want{"Www." + strings.ToUpper(parent[:3]) + parent[3:], e.cert})
	}
	c.update(entries, nil)

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for rd := 0; rd < 3; rd++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; !stop.Load(); r++ {
				w := fixed[(r+rd)%len(fixed)]
				name := w.name
				if r%2 == 0 {
					name = flipCase(name)
				}
				if cert, err := c.GetCertificate(hello(name)); cert != w.cert {
					select {
					case errs <- fmt.Errorf("%q: got %p (%v), want %p", name, cert, err, w.cert):
					default:
					}
					return
				}
				miss := w.name[:len(w.name)-1] + "q" // same length, another last byte
				if cert, _ := c.GetCertificate(hello(miss)); cert != nil {
					select {
					case errs <- fmt.Errorf("%q: served a certificate loaded for no such name", miss):
					default:
					}
					return
				}
			}
		}()
	}
	for i := 0; i < 600; i++ {
		san := fmt.Sprintf("grow-%04d.example.org", i)
		if i >= 300 { // from here on neither table is plain
			san = fmt.Sprintf("_grow-%04d.example.org", i)
		}
		c.update([]*certEntry{fakeEntry(fmt.Sprint("grow", i), time.Now(), san, "*._"+san)}, nil)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.True(t, c.certs.exact.Load().notPlain.Load(), "the exact table holds keys that are not plain")
	require.True(t, c.certs.wild.Load().notPlain.Load(), "the wildcard table holds keys that are not plain")
}
