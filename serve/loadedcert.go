package serve

import (
	"crypto/tls"
	"slices"
	"unique"

	"github.com/certflow/certflow/meta"
)

// loadedCert is a certificate Apply loaded, in one allocation: its entry, the
// tls.Certificate handshakes are given, its lazily parsed key, and the
// arrays behind its chain and its keys when they fit (a leaf and its CA;
// one name). Apart they were five heap objects holding pointers, each
// marked and scanned at every collection, and the runtime forces one
// every 2 minutes however idle the process: at 100,000 certificates an
// idle Manager's CPU is mostly that marking (docs/idle.md). Nothing in it
// is written after it is served but what lazyKey guards with its Once.
type loadedCert struct {
	e     certEntry
	cert  tls.Certificate
	key   lazyKey
	chain [2][]byte
	keys  [1]string
}

// loadedEntry returns the entry of the Secret ref, serving chain (its
// leaf's DER canonical, with handle h) with the key keyDER parsed at the
// first handshake that signs with it.
func loadedEntry(c *Cache, ref meta.Ref, chain [][]byte, leaf leafIndex, keyDER []byte, h unique.Handle[string]) *certEntry {
	l := &loadedCert{}
	if len(chain) <= len(l.chain) {
		chain = l.chain[:copy(l.chain[:], chain)]
	}
	// Full, so that a caller appending to a served chain gets an array of
	// its own instead of writing into the one every handshake shares.
	chain = slices.Clip(chain)
	l.cert = tls.Certificate{Certificate: chain, PrivateKey: &l.key}
	l.key = lazyKey{entry: &l.e, keyDER: keyDER, cache: c}
	l.e = certEntry{ref: ref, cert: &l.cert, leaf: h}
	var keys []string
	if len(leaf.dnsNames)+len(leaf.ips) <= len(l.keys) {
		keys = l.keys[:0]
	}
	l.e.index(leaf, keys)
	return &l.e
}
