package serve

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// Options configures a Cache. The zero value is usable.
type Options struct {
	// DefaultName is the name looked up for a hello without SNI (clients
	// connecting by IP address, old clients). It may be a wildcard
	// ("*.example.com"). If empty, such a hello is answered with the
	// certificate whose IP SAN is the connection's local address, else
	// ErrNoServerName.
	DefaultName string
	// Logger receives debug records of misses and summaries of updates. If
	// nil, nothing is logged.
	Logger *slog.Logger
	// Clock dates the TLS-ALPN-01 challenge certificates. If nil, clock.Real.
	Clock clock.Clock
}

// Cache serves certificates and ACME challenges from immutable snapshots.
// Readers (GetCertificate, KeyAuthorization) never lock; writers are
// serialised among themselves and publish a new snapshot atomically, so a
// handshake sees either the old or the new certificate, never a mix, and a
// *tls.Certificate once returned stays valid forever.
//
// A Cache must be created with NewCache. It is safe for concurrent use.
type Cache struct {
	defaultName string
	log         *slog.Logger
	clock       clock.Clock

	certs      atomic.Pointer[certIndex]
	challenges atomic.Pointer[challengeIndex]

	// mu serialises writers so that two concurrent copy-on-write updates do
	// not lose each other's changes. Readers never take it.
	mu  sync.Mutex
	seq uint64 // orders challenge puts; guarded by mu
	// secretVersions and challengeVersions order the reads given to the
	// cache; guarded by mu.
	secretVersions, challengeVersions versionLog
}

// NewCache returns an empty Cache. It starts nothing.
func NewCache(opts Options) *Cache {
	c := &Cache{
		defaultName: dnsname.Fold(opts.DefaultName),
		log:         opts.Logger,
		clock:       opts.Clock,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	c.certs.Store(emptyCertIndex())
	c.challenges.Store(emptyChallengeIndex())
	return c
}

// PutSecret parses s's tls.crt (leaf first, then chain) and tls.key once and
// serves the result for every DNS and IP SAN of the leaf, replacing the
// previous version of s. When several Secrets claim one name, the leaf with
// the later NotAfter is served (ties: the smaller namespace/name).
//
// Reads are ordered by ResourceVersion: a Secret older than the version
// already put (or than a DeleteSecretAt of it) is ignored, so a read that
// was slow to arrive never replaces a newer one. A Secret whose
// ResourceVersion is empty or not a decimal number is applied unordered.
//
// A Secret without tls.crt holds no certificate (an ACME account key, a key
// awaiting issuance): any previously loaded version of it stops being served
// and nil is returned, so a Manager can feed every Secret event here.
//
// A broken Secret (tls.crt without tls.key, unparsable PEM, a key that does
// not match the leaf) returns an error wrapping ErrInvalidSecret and changes
// nothing: a previously loaded version of s keeps being served. Callers that
// want it gone call DeleteSecret.
//
// Each call copies the index (O(number of Secrets)); load many Secrets with
// Apply.
func (c *Cache) PutSecret(s *secret.Secret) error {
	e, err := parseSecret(s)
	if err != nil {
		return err
	}
	ref, v := meta.RefOf(s), parseVersion(s.ObjectMeta.ResourceVersion)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secretVersions.stale(ref, v) {
		return nil
	}
	c.secretVersions.record(ref, v, e == nil)
	if e == nil {
		c.updateLocked(nil, []meta.Ref{ref})
	} else {
		c.updateLocked([]*certEntry{e}, nil)
	}
	return nil
}

// DeleteSecret stops serving the Secret named ref; names it claimed fall back
// to the next best Secret claiming them. Deleting an unknown ref is a no-op.
// It is unordered; DeleteSecretAt is its ordered form.
func (c *Cache) DeleteSecret(ref meta.Ref) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secretVersions.record(ref, 0, true)
	c.updateLocked(nil, []meta.Ref{ref})
}

// DeleteSecretAt is DeleteSecret for a deletion seen at store revision
// resourceVersion (a watch event's revision, or that of a list that no
// longer holds ref): a version of the Secret put since, which is newer, keeps
// being served, and a read older than the deletion put later is ignored.
func (c *Cache) DeleteSecretAt(ref meta.Ref, resourceVersion string) {
	v := parseVersion(resourceVersion)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secretVersions.stale(ref, v) {
		return
	}
	c.secretVersions.record(ref, v, true)
	c.updateLocked(nil, []meta.Ref{ref})
}

// Apply does what PutSecret does for each of puts (when a Secret appears
// more than once, its last usable version counts), then deletes every ref of
// deletes (unordered, as DeleteSecret), and publishes the result as one
// snapshot, copying the index once. It is how a Manager loads its Secrets at
// start. Broken Secrets are skipped as PutSecret would reject them; their
// errors are returned joined, after the rest has been applied. deletes is
// not modified.
func (c *Cache) Apply(puts []*secret.Secret, deletes []meta.Ref) error {
	// latest holds each ref's last usable version; a nil entry means "holds
	// no certificate", which removes the ref.
	type read struct {
		e *certEntry
		v uint64
	}
	latest := make(map[meta.Ref]read, len(puts))
	var errs []error
	for _, s := range puts {
		e, err := parseSecret(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		latest[meta.RefOf(s)] = read{e, parseVersion(s.ObjectMeta.ResourceVersion)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	entries := make([]*certEntry, 0, len(latest))
	gone := slices.Clip(deletes)
	for ref, r := range latest {
		if c.secretVersions.stale(ref, r.v) {
			continue
		}
		c.secretVersions.record(ref, r.v, r.e == nil)
		if r.e == nil {
			gone = append(gone, ref)
		} else {
			entries = append(entries, r.e)
		}
	}
	for _, ref := range deletes {
		c.secretVersions.record(ref, 0, true)
	}
	c.updateLocked(entries, gone)
	return errors.Join(errs...)
}

// update changes the certificates unordered.
func (c *Cache) update(puts []*certEntry, deletes []meta.Ref) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.updateLocked(puts, deletes)
}

func (c *Cache) updateLocked(puts []*certEntry, deletes []meta.Ref) {
	if len(puts) == 0 && len(deletes) == 0 {
		return
	}
	cur := c.certs.Load()
	if len(puts) == 0 && !slices.ContainsFunc(deletes, func(r meta.Ref) bool { return cur.secrets[r] != nil }) {
		return // nothing to change: keep the snapshot and its copy cost
	}
	next := cur.with(puts, deletes)
	c.certs.Store(next)
	c.log.Debug("serve: certificates updated",
		"puts", len(puts), "deletes", len(deletes),
		"secrets", len(next.secrets), "names", len(next.exact)+len(next.wild))
}

// TLSConfig returns a new config that serves c's certificates: GetCertificate
// set, NextProtos h2, http/1.1 and acme-tls/1 (so TLS-ALPN-01 validation can
// negotiate), and TLS 1.2 as the minimum version.
func (c *Cache) TLSConfig() *tls.Config {
	return &tls.Config{
		GetCertificate: c.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1", acmeTLS1},
		MinVersion:     tls.VersionTLS12,
	}
}
