package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
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
	// connecting by IP address, old clients) when no certificate has the
	// connection's local address as an IP SAN. It may be a wildcard
	// ("*.example.com"). If empty, such a hello gets ErrNoServerName.
	DefaultName string
	// Logger receives debug records of misses and summaries of updates. If
	// nil, nothing is logged.
	Logger *slog.Logger
	// Clock dates the TLS-ALPN-01 challenge certificates. If nil, clock.Real.
	Clock clock.Clock
	// OnInvalidKey, if set, is called (from the handshake that found it)
	// for each Secret loaded by Apply whose certificate or private key
	// proved unusable and that stopped being served; err wraps ErrInvalidSecret and holds no
	// key material. It must return quickly. If nil, the Cache only logs
	// and counts (InvalidKeys).
	OnInvalidKey func(ref meta.Ref, err error)
}

// Cache serves certificates and ACME challenges. Readers (GetCertificate,
// KeyAuthorization) never lock; writers are serialised among themselves.
// Certificates are indexed by name in place, so a change costs O(names it
// touches) however many are loaded, and each name switches atomically: a
// handshake sees either the old or the new certificate, never a mix, and a
// *tls.Certificate once returned stays valid forever. Challenges, which are
// few, are served from immutable snapshots swapped on each change. Every
// change is served when the call making it returns.
//
// A Cache must be created with NewCache. It is safe for concurrent use.
type Cache struct {
	defaultName  string
	log          *slog.Logger
	clock        clock.Clock
	onInvalidKey func(meta.Ref, error)

	// certs is changed in place under mu and read without it.
	certs      *certIndex
	challenges atomic.Pointer[challengeIndex]

	_ cacheLinePad // what follows is the writers'

	// mu serialises writers: the certificate index has one writer at a
	// time, and two concurrent copy-on-write challenge updates must not
	// lose each other's changes. Readers never take it.
	mu  sync.Mutex
	seq uint64 // orders challenge puts; guarded by mu
	// secretVersions and challengeVersions order the reads given to the
	// cache; guarded by mu.
	secretVersions, challengeVersions versionLog

	// invalidKeys counts the keys found unusable at their first handshake.
	invalidKeys atomic.Uint64
}

// NewCache returns an empty Cache. It starts nothing.
func NewCache(opts Options) *Cache {
	c := &Cache{
		defaultName:  dnsname.Fold(opts.DefaultName),
		log:          opts.Logger,
		clock:        opts.Clock,
		onInvalidKey: opts.OnInvalidKey,
		certs:        newCertIndex(),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
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
// was slow to arrive never replaces a newer one, and so is the version
// already put, which is served (a Manager puts what it stores, and its
// watch delivers the same version again): neither is parsed. A Secret whose
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
// A call costs O(names of s), however many Secrets are loaded.
func (c *Cache) PutSecret(s *secret.Secret) error {
	if s != nil && c.putAlready(meta.RefOf(s), parseVersion(s.ObjectMeta.ResourceVersion)) {
		return nil
	}
	e, err := c.parseSecret(s, false)
	if err != nil {
		return err
	}
	ref, v := meta.RefOf(s), parseVersion(s.ObjectMeta.ResourceVersion)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secretStaleLocked(ref, v) {
		return nil
	}
	c.applySecretLocked(ref, v, e)
	c.publishLocked()
	return nil
}

// putAlready reports whether a read of ref at version v is older than the
// version applied, or is that version and it was not a delete.
func (c *Cache) putAlready(ref meta.Ref, v uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secretStaleLocked(ref, v) {
		return true
	}
	m, ok := c.secretMarkLocked(ref)
	return v != 0 && ok && m.version == v && !m.deleted
}

// DeleteSecret stops serving the Secret named ref; names it claimed fall back
// to the next best Secret claiming them. Deleting an unknown ref is a no-op.
// It is unordered; DeleteSecretAt is its ordered form.
func (c *Cache) DeleteSecret(ref meta.Ref) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applySecretLocked(ref, 0, nil)
	c.publishLocked()
}

// DeleteSecretAt is DeleteSecret for a deletion seen at store revision
// resourceVersion (a watch event's revision, or that of a list that no
// longer holds ref): a version of the Secret put since, which is newer, keeps
// being served, and a read older than the deletion put later is ignored.
func (c *Cache) DeleteSecretAt(ref meta.Ref, resourceVersion string) {
	v := parseVersion(resourceVersion)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.secretStaleLocked(ref, v) {
		return
	}
	c.applySecretLocked(ref, v, nil)
	c.publishLocked()
}

// Apply does what PutSecret does for each of puts, in order (so of two
// versions of a Secret the newer ResourceVersion counts, and without
// ResourceVersions the later one), then deletes every ref of deletes
// (unordered, as DeleteSecret), and serves the result when it returns. It is
// how a Manager loads its Secrets at start: the certificates are parsed
// before the writers' lock is taken, on up to GOMAXPROCS goroutines that all
// end before Apply returns, and the index's cost is O(names loaded).
// Secrets broken in what the load reads are skipped, as PutSecret would
// reject them; their errors are returned joined, after the rest has been
// applied. deletes is not modified.
//
// Unlike PutSecret, Apply does not check everything at load (a key costs
// twenty times its certificate to parse, and a restart must serve 100k
// names in seconds): of tls.key only that it holds a private key PEM
// block, and of a leaf in the common shape only the parts indexLeaf walks
// (its envelope, signature algorithms, validity, SANs), not its issuer
// and subject names, its public key or its other extensions. So Apply
// serves some Secrets PutSecret rejects. The first handshake that needs
// the key parses it together with the leaf; a Secret found unusable then
// (the key not parsable or not the leaf's, or the leaf refused by x509)
// never signs anything: that handshake fails, the Secret is logged at
// Warn, counted in InvalidKeys and no longer served, so its names fall
// back to the next best certificate, as after DeleteSecret.
func (c *Cache) Apply(puts []*secret.Secret, deletes []meta.Ref) error {
	entries, parseErrs := c.parseSecrets(puts)
	reads := make([]parsedPut, 0, len(puts))
	var errs []error
	for i, s := range puts {
		if parseErrs[i] != nil {
			errs = append(errs, parseErrs[i])
			continue
		}
		reads = append(reads, parsedPut{meta.RefOf(s), entries[i], parseVersion(s.ObjectMeta.ResourceVersion)})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applyParsedLocked(reads)
	for _, ref := range deletes {
		c.applySecretLocked(ref, 0, nil)
	}
	c.publishLocked()
	return errors.Join(errs...)
}

// update changes the certificates unordered.
func (c *Cache) update(puts []*certEntry, deletes []meta.Ref) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range puts {
		c.loadLocked(e, 0)
	}
	for _, ref := range deletes {
		c.unloadLocked(ref)
	}
	c.publishLocked()
}

// InvalidKeys returns how many certificates loaded by Apply have been
// dropped because their private key, or the leaf parsed with it, proved
// unusable at its first handshake (see Apply).
func (c *Cache) InvalidKeys() uint64 { return c.invalidKeys.Load() }

// keyFailed stops serving e, whose key or leaf (loaded by Apply) cannot
// be used, unless a newer version of its Secret replaced it meanwhile. It
// is called from a handshake, at most once per entry. err holds no key
// material (tls.X509KeyPair's and x509's errors do not quote it).
func (c *Cache) keyFailed(e *certEntry, err error) {
	c.invalidKeys.Add(1)
	c.log.Warn("serve: secret cannot be served: its certificate or private key is unusable",
		"namespace", e.ref.Namespace, "name", e.ref.Name, "unusable", unusablePart(err), "err", err)
	if c.onInvalidKey != nil {
		c.onInvalidKey(e.ref, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.certs.secrets.get(e.ref) == e {
		c.unloadLocked(e.ref)
		c.publishLocked()
	}
}

// publishLocked serves what the changes since the last call decided.
func (c *Cache) publishLocked() {
	if n := c.certs.publish(); n > 0 && c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.Debug("serve: certificates updated",
			"touched", n, "secrets", c.certs.secrets.len(), "names", c.certs.names())
	}
}

// TLSConfig returns a new config that serves c's certificates: GetCertificate
// set (its certificates are read-only), NextProtos h2, http/1.1 and
// acme-tls/1 (so TLS-ALPN-01 validation can negotiate), and TLS 1.2 as the
// minimum version.
func (c *Cache) TLSConfig() *tls.Config {
	return &tls.Config{
		GetCertificate: c.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1", acmeTLS1},
		MinVersion:     tls.VersionTLS12,
	}
}
