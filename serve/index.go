package serve

import (
	"crypto/tls"
	"math/bits"
	"math/rand/v2"
	"strings"

	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/meta"
)

// certIndex holds the loaded certificates by the names they serve. It is
// changed in place and read without locks: a change costs O(names of the
// Secret) whatever the size of the index. Changes are decided by put and
// remove and served by publish, which switches each name atomically from
// its old certificate to its new one (never through "no certificate" while
// some Secret claims it); a Secret's names switch one after another.
//
// Readers use lookup and lookupExact only; every other method is the
// writer's, under Cache.mu.
type certIndex struct {
	// seed is the seed of both tables' hashes (see keyhash.go), random so
	// that a client cannot choose server names that collide; fold is
	// newFoldKeys(seed), for lookup's inlined foldHashMid.
	seed uint64
	fold foldKeys
	// exact holds lower-cased DNS names and the canonical text of IP SANs.
	exact liveTable
	// wild holds the parent "b.c" of each wildcard SAN "*.b.c", so a lookup
	// of "a.b.c" indexes it with a substring of the server name.
	wild liveTable

	// secrets are the loaded Secrets.
	secrets loadedSecrets
	// touched lists the names whose claims changed since the last publish;
	// kept between calls (unless a big batch grew it) so a one-Secret
	// change allocates no list.
	touched []touched
	// chainCerts are the chain certificates put shares (shareChain).
	chainCerts map[string][]byte
}

// touched is a name whose claims changed, and the table it is in.
type touched struct {
	table *liveTable
	key   string
}

func newCertIndex() *certIndex {
	ix := &certIndex{seed: rand.Uint64()}
	ix.fold = newFoldKeys(ix.seed)
	ix.exact.initSketched(func(key string) uint64 { return exactHash(ix.seed, key) }, rand.Uint64())
	ix.wild.init(func(key string) uint64 { return wildHash(ix.seed, key) })
	return ix
}

// dotInWord returns the index of the first '.' among the eight bytes of w
// (a little-endian word of a name), or -1.
func dotInWord(w uint64) int {
	const dots = 0x2e2e2e2e2e2e2e2e
	x := w ^ dots
	// The lowest byte flagged is exactly the first zero byte of x; bytes
	// above it may be flagged wrongly, and are not looked at.
	if m := (x - lowBits) &^ x & highBits; m != 0 {
		return bits.TrailingZeros64(m) / 8
	}
	return -1
}

// lookupExact finds the certificate for name (any ASCII case) without
// falling back to a wildcard.
func (ix *certIndex) lookupExact(name string) *tls.Certificate {
	if len(name) > dnsname.MaxNameLen {
		return nil // no certificate names it
	}
	return ix.exact.Load().find(exactHash(ix.seed, name), name)
}

// put loads e, replacing the loaded entry of its Ref, which it returns.
// Nothing it changes is served before publish.
func (ix *certIndex) put(e *certEntry) (old *certEntry) {
	ix.shareChain(e)
	old = ix.remove(e.ref)
	ix.secrets.set(e)
	for _, k := range e.keys {
		l, name := ix.tableFor(k)
		l.claim(name, e)
		ix.touched = append(ix.touched, touched{l, name})
	}
	return old
}

// remove drops the loaded entry of ref, if any, and returns it; its names
// stay served until publish.
func (ix *certIndex) remove(ref meta.Ref) *certEntry {
	old := ix.secrets.remove(ref)
	if old == nil {
		return nil
	}
	for _, k := range old.keys {
		l, name := ix.tableFor(k)
		l.release(name, old)
		ix.touched = append(ix.touched, touched{l, name})
	}
	return old
}

// publish serves, for every name put or remove touched, the best
// certificate still claiming it (or none), and returns how many names it
// touched. A name touched twice is elected twice, which costs less than
// finding the duplicates. Each name switches straight from its old
// certificate to its new one, so replacing a Secret never leaves its names
// unserved.
func (ix *certIndex) publish() int {
	n := len(ix.touched)
	for i, t := range ix.touched {
		t.table.elect(t.key)
		ix.touched[i] = touched{}
	}
	ix.touched = ix.touched[:0]
	if cap(ix.touched) > maxKeptTouched {
		ix.touched = nil
	}
	ix.exact.tidy()
	ix.wild.tidy()
	return n
}

// maxKeptTouched bounds the list of touched names kept between publishes.
const maxKeptTouched = 1024

// tableFor returns the table holding index key k (a certEntry key) and the
// name it is filed under there.
func (ix *certIndex) tableFor(k string) (*liveTable, string) {
	if parent, ok := strings.CutPrefix(k, "*."); ok {
		return &ix.wild, parent
	}
	return &ix.exact, k
}

// names returns how many names are served. It is O(1).
func (ix *certIndex) names() int { return ix.exact.served + ix.wild.served }
