package serve

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unique"

	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// certEntry is one loaded Secret: its certificate and the index keys it
// claims. Entries are immutable once built; snapshots share them.
type certEntry struct {
	ref meta.Ref
	// cert is what handshakes are given. Its Leaf is nil: crypto/tls's
	// server side never reads it, and the parsed leaf (~2,300 bytes) is
	// most of what a certificate would otherwise cost the index. Its
	// PrivateKey is the parsed key, or a lazyKey when Apply loaded it.
	cert *tls.Certificate
	// keys are the lower-cased DNS SANs (wildcards kept as "*.b.c") and the
	// canonical text of the IP SANs, deduplicated.
	keys []string
	// notAfter is the leaf's NotAfter, in Unix seconds and nanoseconds: a
	// time.Time would cost the entry a size class and a pointer (its
	// location) for the collector to scan.
	notAfter     int64
	notAfterNsec int32
	// markDeleted and markVersion are the version of its Secret last
	// applied (a mark: see secretmarks.go), laid out to keep the entry in
	// 112 bytes.
	markDeleted bool
	markVersion uint64
	// leaf keeps cert.Certificate[0], the canonical copy of the leaf's
	// DER, canonical while the entry lives (see sharedLeaf).
	leaf unique.Handle[string]
}

// mark returns the version of e's Secret last applied.
func (e *certEntry) mark() mark { return mark{version: e.markVersion, deleted: e.markDeleted} }

// setMark sets the version of e's Secret last applied.
func (e *certEntry) setMark(m mark) { e.markVersion, e.markDeleted = m.version, m.deleted }

// parseSecret builds the entry of s. It returns nil and no error for a
// Secret without tls.crt, which holds no certificate (an ACME account key,
// a TSIG secret, a key awaiting issuance). With deferKey, tls.key is only
// checked to hold a private key PEM block, and is parsed and matched
// against the leaf on the first handshake that needs it (see lazyKey,
// which reports a broken key to c); otherwise it is parsed and matched
// now. The private key never appears in an error: crypto/tls's messages
// name only the PEM block types.
func (c *Cache) parseSecret(s *secret.Secret, deferKey bool) (*certEntry, error) {
	return c.parseSecretAfter(s, deferKey, nil)
}

// parseSecretAfter is parseSecret, with the chain after the leaf decoded
// only when it is not the one tail remembers (see chainTail), when the
// key is deferred.
func (c *Cache) parseSecretAfter(s *secret.Secret, deferKey bool, tail *chainTail) (*certEntry, error) {
	if s == nil {
		return nil, fmt.Errorf("serve: put secret: %w: nil secret", ErrInvalidSecret)
	}
	ref := meta.RefOf(s)
	crt, key := s.Data[secret.TLSCertKey], s.Data[secret.TLSKeyKey]
	if len(crt) == 0 {
		return nil, nil
	}
	invalid := func(err error) error {
		return fmt.Errorf("serve: put secret %s: %w: %w", ref, ErrInvalidSecret, err)
	}
	if len(key) == 0 {
		return nil, invalid(fmt.Errorf("%s without %s", secret.TLSCertKey, secret.TLSKeyKey))
	}
	if deferKey {
		chain, err := certChainAfter(crt, tail)
		if err != nil {
			return nil, invalid(err)
		}
		leaf, err := indexLeaf(chain[0]) // the rest of it is read with the key
		if err != nil {
			return nil, invalid(err)
		}
		keyDER := privateKeyDER(key)
		if keyDER == nil {
			return nil, invalid(errNoKeyBlock)
		}
		h, der := sharedLeaf(chain[0])
		chain[0] = der
		return loadedEntry(c, ref, chain, leaf, keyDER, h), nil
	}
	pair, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, invalid(err)
	}
	leaf := pair.Leaf
	if leaf == nil {
		// X509KeyPair fills Leaf unless GODEBUG x509keypairleaf=0 says otherwise.
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, invalid(err)
		}
	}
	pair.Leaf = nil
	h, der := sharedLeaf(pair.Certificate[0])
	pair.Certificate[0] = der
	pair.Certificate = slices.Clip(pair.Certificate) // as loadedEntry's chain
	e := newCertEntry(ref, &pair, leaf)
	e.leaf = h
	return e, nil
}

// parsePerWorker is the fewest Secrets worth a goroutine of their own in
// parseSecrets: parsing one takes tens of microseconds.
const parsePerWorker = 64

// parseSecrets is parseSecret for each of list, keys deferred, on up to
// GOMAXPROCS goroutines, which all end before it returns: loading 100k
// Secrets is parsing their certificates.
func (c *Cache) parseSecrets(list []*secret.Secret) ([]*certEntry, []error) {
	entries, errs := make([]*certEntry, len(list)), make([]error, len(list))
	parse := func(lo, hi int) {
		var tail chainTail
		for i := lo; i < hi; i++ {
			entries[i], errs[i] = c.parseSecretAfter(list[i], true, &tail)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(list)/parsePerWorker)
	if workers <= 1 {
		parse(0, len(list))
		return entries, errs
	}
	var wg sync.WaitGroup
	per := (len(list) + workers - 1) / workers
	for lo := 0; lo < len(list); lo += per {
		wg.Go(func() { parse(lo, min(lo+per, len(list))) })
	}
	wg.Wait()
	return entries, errs
}

// newCertEntry indexes cert, whose parsed leaf is leaf, under the names
// of leaf; cert.Leaf is not read, and should be nil (see certEntry).
func newCertEntry(ref meta.Ref, cert *tls.Certificate, leaf *x509.Certificate) *certEntry {
	return indexedCertEntry(ref, cert, leafIndex{dnsNames: leaf.DNSNames, ips: leaf.IPAddresses, notAfter: leaf.NotAfter})
}

// indexedCertEntry is newCertEntry given the leaf's index fields.
func indexedCertEntry(ref meta.Ref, cert *tls.Certificate, leaf leafIndex) *certEntry {
	e := &certEntry{ref: ref, cert: cert}
	e.index(leaf, nil)
	return e
}

// index sets e's keys and NotAfter from leaf's fields, appending the keys
// to keys (whose capacity may hold them: see loadedEntry).
func (e *certEntry) index(leaf leafIndex, keys []string) {
	if keys == nil {
		keys = make([]string, 0, len(leaf.dnsNames)+len(leaf.ips))
	}
	seen := make(map[string]bool, cap(keys))
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, n := range leaf.dnsNames {
		add(dnsname.Fold(n))
	}
	for _, ip := range leaf.ips {
		if a, ok := netip.AddrFromSlice(ip); ok {
			add(a.Unmap().String())
		}
	}
	e.keys, e.notAfter, e.notAfterNsec = keys, leaf.notAfter.Unix(), int32(leaf.notAfter.Nanosecond())
}

// beats reports whether e should be served rather than o for a name both
// claim: the later NotAfter wins (a renewed certificate replaces the old one
// even before the old Secret is deleted); ties go to the smaller reference so
// the choice never depends on arrival order.
func (e *certEntry) beats(o *certEntry) bool {
	if e.notAfter != o.notAfter || e.notAfterNsec != o.notAfterNsec {
		return e.notAfter > o.notAfter || e.notAfter == o.notAfter && e.notAfterNsec > o.notAfterNsec
	}
	if e.ref.Namespace != o.ref.Namespace {
		return e.ref.Namespace < o.ref.Namespace
	}
	return e.ref.Name < o.ref.Name
}

// errNoKeyBlock is why a tls.key without a private key PEM block is refused
// at load.
var errNoKeyBlock = errors.New("no PRIVATE KEY PEM block in tls.key")

// privateKeyDER returns the bytes of the first PEM block of keyPEM that
// holds a private key (of the types tls.X509KeyPair looks for), or nil. It
// decodes the PEM only; the result is a copy, shared with nothing.
func privateKeyDER(keyPEM []byte) []byte {
	for rest := keyPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil
		}
		if b.Type == "PRIVATE KEY" || strings.HasSuffix(b.Type, " PRIVATE KEY") {
			return b.Bytes
		}
	}
}

// errNoCertBlock is why a tls.crt without a certificate PEM block is
// refused.
var errNoCertBlock = errors.New("no CERTIFICATE PEM block in tls.crt")

// certChain returns the DER of the CERTIFICATE blocks of crt, leaf first,
// skipping other blocks as tls.X509KeyPair does.
func certChain(crt []byte) ([][]byte, error) { return certChainAfter(crt, nil) }
