package serve

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// certEntry is one loaded Secret: its parsed certificate and the index keys
// it claims. Entries are immutable once built; snapshots share them.
type certEntry struct {
	ref  meta.Ref
	cert *tls.Certificate
	// keys are the lower-cased DNS SANs (wildcards kept as "*.b.c") and the
	// canonical text of the IP SANs, deduplicated.
	keys     []string
	notAfter time.Time
}

// parseSecret builds the entry of s, parsing tls.crt and tls.key once. It
// returns nil and no error for a Secret without tls.crt, which holds no
// certificate (an ACME account key, a TSIG secret, a key awaiting issuance).
// The private key never appears in an error: crypto/tls's messages name only
// the PEM block types.
func parseSecret(s *secret.Secret) (*certEntry, error) {
	if s == nil {
		return nil, fmt.Errorf("serve: put secret: %w: nil secret", ErrInvalidSecret)
	}
	ref := meta.RefOf(s)
	crt, key := s.Data[secret.TLSCertKey], s.Data[secret.TLSKeyKey]
	if len(crt) == 0 {
		return nil, nil
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("serve: put secret %s: %w: %s without %s",
			ref, ErrInvalidSecret, secret.TLSCertKey, secret.TLSKeyKey)
	}
	pair, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, fmt.Errorf("serve: put secret %s: %w: %w", ref, ErrInvalidSecret, err)
	}
	if pair.Leaf == nil {
		// X509KeyPair fills Leaf unless GODEBUG x509keypairleaf=0 says otherwise.
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("serve: put secret %s: %w: %w", ref, ErrInvalidSecret, err)
		}
		pair.Leaf = leaf
	}
	return newCertEntry(ref, &pair), nil
}

// parsePerWorker is the fewest Secrets worth a goroutine of their own in
// parseSecrets: parsing one takes tens of microseconds.
const parsePerWorker = 64

// parseSecrets is parseSecret for each of list, on up to GOMAXPROCS
// goroutines, which all end before it returns: loading 100k Secrets is
// parsing them.
func parseSecrets(list []*secret.Secret) ([]*certEntry, []error) {
	entries, errs := make([]*certEntry, len(list)), make([]error, len(list))
	parse := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			entries[i], errs[i] = parseSecret(list[i])
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

// newCertEntry indexes a prebuilt certificate whose Leaf is set.
func newCertEntry(ref meta.Ref, cert *tls.Certificate) *certEntry {
	leaf := cert.Leaf
	keys := make([]string, 0, len(leaf.DNSNames)+len(leaf.IPAddresses))
	seen := make(map[string]bool, cap(keys))
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, n := range leaf.DNSNames {
		add(dnsname.Fold(n))
	}
	for _, ip := range leaf.IPAddresses {
		if a, ok := netip.AddrFromSlice(ip); ok {
			add(a.Unmap().String())
		}
	}
	return &certEntry{ref: ref, cert: cert, keys: keys, notAfter: leaf.NotAfter}
}

// beats reports whether e should be served rather than o for a name both
// claim: the later NotAfter wins (a renewed certificate replaces the old one
// even before the old Secret is deleted); ties go to the smaller reference so
// the choice never depends on arrival order.
func (e *certEntry) beats(o *certEntry) bool {
	if !e.notAfter.Equal(o.notAfter) {
		return e.notAfter.After(o.notAfter)
	}
	if e.ref.Namespace != o.ref.Namespace {
		return e.ref.Namespace < o.ref.Namespace
	}
	return e.ref.Name < o.ref.Name
}
