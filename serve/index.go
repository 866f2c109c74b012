package serve

import (
	"crypto/tls"
	"hash/maphash"
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
	// seed is the maphash seed of both tables.
	seed maphash.Seed
	// exact holds lower-cased DNS names and the canonical text of IP SANs.
	exact liveTable
	// wild holds the parent "b.c" of each wildcard SAN "*.b.c", so a lookup
	// of "a.b.c" indexes it with a substring of the server name.
	wild liveTable

	// secrets are the loaded Secrets.
	secrets map[meta.Ref]*certEntry
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
	ix := &certIndex{seed: maphash.MakeSeed(), secrets: map[meta.Ref]*certEntry{}}
	ix.exact.init(ix.seed)
	ix.wild.init(ix.seed)
	return ix
}

// lookup finds the certificate for name (any ASCII case, no trailing dot):
// the exact name, else the wildcard "*.b.c" for "a.b.c", one label only.
// It allocates nothing: a name with upper-case letters (rare) is folded
// into a buffer on the stack.
func (ix *certIndex) lookup(name string) *tls.Certificate {
	if len(name) > shortName {
		return ix.lookupLong(name)
	}
	if !dnsname.IsFolded(name) {
		var buf [shortName]byte
		name = stringView(buf[:dnsname.FoldInto(buf[:], name)])
	}
	return ix.lookupFolded(name)
}

// shortName is the longest name lookup folds into a small buffer: zeroing
// it costs less than zeroing one for the longest name there is.
const shortName = 64

func (ix *certIndex) lookupLong(name string) *tls.Certificate {
	if len(name) > dnsname.MaxNameLen {
		return nil // no certificate names it
	}
	var buf [dnsname.MaxNameLen]byte
	return ix.lookupFolded(stringView(buf[:dnsname.FoldInto(buf[:], name)]))
}

// lookupFolded is lookup for a folded name.
func (ix *certIndex) lookupFolded(name string) *tls.Certificate {
	if cert := ix.exact.Load().find(maphash.String(ix.seed, name), name); cert != nil {
		return cert
	}
	if i := strings.IndexByte(name, '.'); i > 0 { // ".b.c" has no label for "*" to stand for
		parent := name[i+1:]
		return ix.wild.Load().find(maphash.String(ix.seed, parent), parent)
	}
	return nil
}

// lookupExact finds the certificate for name, which is folded, without
// falling back to a wildcard.
func (ix *certIndex) lookupExact(name string) *tls.Certificate {
	return ix.exact.Load().find(maphash.String(ix.seed, name), name)
}

// put loads e, replacing the loaded entry of its Ref. Nothing it changes
// is served before publish.
func (ix *certIndex) put(e *certEntry) {
	ix.shareChain(e)
	ix.remove(e.ref)
	ix.secrets[e.ref] = e
	for _, k := range e.keys {
		l, name := ix.tableFor(k)
		l.claim(name, e)
		ix.touched = append(ix.touched, touched{l, name})
	}
}

// remove drops the loaded entry of ref, if any; its names stay served until
// publish.
func (ix *certIndex) remove(ref meta.Ref) {
	old, ok := ix.secrets[ref]
	if !ok {
		return
	}
	delete(ix.secrets, ref)
	for _, k := range old.keys {
		l, name := ix.tableFor(k)
		l.release(name, old)
		ix.touched = append(ix.touched, touched{l, name})
	}
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
