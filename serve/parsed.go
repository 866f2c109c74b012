package serve

import (
	"errors"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// Parsed holds Secrets parsed for one Apply ahead of it (Cache.Parse): a
// caller reading the Secrets in batches parses each on goroutines of its
// own as it arrives, while the next is read, and applies them all at
// once (Cache.ApplyParsed). A Manager starting on a file store so parses
// 100k certificates while the store still reads their files, and does not
// hold every Secret it read until the last one is.
//
// The zero value is empty. A Parsed is applied by the Cache that parsed
// into it only; it is not safe for concurrent use.
type Parsed struct {
	cache *Cache
	puts  []parsedPut
	errs  []error
	tail  chainTail
}

// parsedPut is one Secret Apply loads: a nil entry holds no certificate,
// which removes the ref.
type parsedPut struct {
	ref meta.Ref
	e   *certEntry
	v   uint64
}

// errOtherCache is ApplyParsed's answer to a Parsed another Cache parsed
// into: its deferred keys report to that Cache.
var errOtherCache = errors.New("serve: apply parsed: parsed by another cache")

// Parse parses puts into p as Apply parses them (every key's check
// deferred to its first handshake), on the calling goroutine, in order.
// Secrets broken in what the load reads are skipped, their errors kept
// for ApplyParsed. It keeps none of puts' Secrets nor their bytes (what
// it serves is decoded from them into arrays of its own), so a caller
// may reuse them once it returns.
func (c *Cache) Parse(p *Parsed, puts []*secret.Secret) {
	if p.cache == nil {
		p.cache = c
	}
	for _, s := range puts {
		e, err := c.parseSecretAfter(s, true, &p.tail)
		if err != nil {
			p.errs = append(p.errs, err)
			continue
		}
		p.puts = append(p.puts, parsedPut{meta.RefOf(s), e, parseVersion(s.ObjectMeta.ResourceVersion)})
	}
}

// ApplyParsed does what Apply does for the Secrets parsed into each of
// parsed, in order, without deletes: of two versions of a Secret the newer
// ResourceVersion counts, without ResourceVersions the later one. It
// serves the result when it returns, and returns the parse errors joined.
// A Parsed another Cache parsed into is not applied, and is an error.
func (c *Cache) ApplyParsed(parsed ...*Parsed) error {
	var errs []error
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range parsed {
		if p.cache != nil && p.cache != c {
			errs = append(errs, errOtherCache)
			continue
		}
		c.applyParsedLocked(p.puts)
		errs = append(errs, p.errs...)
	}
	c.publishLocked()
	return errors.Join(errs...)
}

// applyParsedLocked loads puts in order, skipping the stale versions.
func (c *Cache) applyParsedLocked(puts []parsedPut) {
	for _, r := range puts {
		if c.secretStaleLocked(r.ref, r.v) {
			continue
		}
		c.applySecretLocked(r.ref, r.v, r.e)
	}
}
