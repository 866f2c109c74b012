package serve

import (
	"crypto/tls"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/certflow/certflow/meta"
)

// certIndex is one immutable snapshot of the loaded certificates. Readers
// get it from an atomic.Pointer and never lock; writers build a new one with
// with and swap it in.
type certIndex struct {
	// exact maps a lower-cased DNS name or canonical IP text to the winning
	// certificate.
	exact map[string]*tls.Certificate
	// wild maps the parent domain "b.c" of a wildcard SAN "*.b.c" to the
	// winning certificate, so a lookup of "a.b.c" indexes it with a substring
	// of the server name and allocates nothing.
	wild map[string]*tls.Certificate
	// ips maps IP SANs, for hellos without SNI answered by local address.
	ips map[netip.Addr]*tls.Certificate

	// secrets and claims are the bookkeeping that lets a delete fall back to
	// the next best certificate for each name. Only writers (under
	// Cache.mu) read them, so every snapshot shares one copy that with
	// updates in place: copying them on each put would double its cost.
	secrets map[meta.Ref]*certEntry
	claims  map[string][]*certEntry
}

func emptyCertIndex() *certIndex {
	return &certIndex{
		exact:   map[string]*tls.Certificate{},
		wild:    map[string]*tls.Certificate{},
		ips:     map[netip.Addr]*tls.Certificate{},
		secrets: map[meta.Ref]*certEntry{},
		claims:  map[string][]*certEntry{},
	}
}

// with returns a new index holding ix's entries plus puts (replacing entries
// of the same Ref) minus deletes, applied in that order. It copies each
// lookup map once, whatever the batch size, so a batch of n changes to an
// index of m entries costs O(m + n), not O(m·n). The lookup maps of ix (all
// that readers see) are not modified; its writer-only bookkeeping (secrets,
// claims) is updated in place and shared with the result, so with must be
// called on the latest snapshot only, by the one writer holding Cache.mu.
func (ix *certIndex) with(puts []*certEntry, deletes []meta.Ref) *certIndex {
	n := &certIndex{
		exact:   maps.Clone(ix.exact),
		wild:    maps.Clone(ix.wild),
		ips:     maps.Clone(ix.ips),
		secrets: ix.secrets,
		claims:  ix.claims,
	}
	// owned marks claim slices already copied into n, so repeated edits of a
	// name in one batch mutate in place instead of copying again.
	owned := map[string]bool{}
	touched := map[string]bool{}
	claimsOf := func(k string) []*certEntry {
		if !owned[k] {
			owned[k] = true
			n.claims[k] = slices.Clone(n.claims[k])
		}
		touched[k] = true
		return n.claims[k]
	}
	remove := func(ref meta.Ref) {
		old, ok := n.secrets[ref]
		if !ok {
			return
		}
		delete(n.secrets, ref)
		for _, k := range old.keys {
			n.claims[k] = slices.DeleteFunc(claimsOf(k), func(e *certEntry) bool { return e == old })
		}
	}
	for _, e := range puts {
		remove(e.ref)
		n.secrets[e.ref] = e
		for _, k := range e.keys {
			n.claims[k] = append(claimsOf(k), e)
		}
	}
	for _, ref := range deletes {
		remove(ref)
	}
	for k := range touched {
		n.elect(k)
	}
	return n
}

// elect points the lookup maps for key k at the best entry claiming it.
func (n *certIndex) elect(k string) {
	var best *certEntry
	for _, e := range n.claims[k] {
		if best == nil || e.beats(best) {
			best = e
		}
	}
	if best == nil {
		delete(n.claims, k)
	}
	addr, err := netip.ParseAddr(k)
	switch {
	case strings.HasPrefix(k, "*."):
		setOrDelete(n.wild, k[2:], best)
	case err == nil:
		setOrDelete(n.exact, k, best)
		setOrDelete(n.ips, addr, best)
	default:
		setOrDelete(n.exact, k, best)
	}
}

func setOrDelete[K comparable](m map[K]*tls.Certificate, k K, e *certEntry) {
	if e == nil {
		delete(m, k)
		return
	}
	m[k] = e.cert
}
