package issuer

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/acmepost"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// Options configures how issuers talk to ACME servers.
type Options struct {
	// HTTPClient carries ACME requests. If nil, http.DefaultClient is used.
	// An issuer with caBundle or skipTLSVerify gets a client whose transport
	// is a clone of this client's transport (which must then be an
	// *http.Transport, or nil for http.DefaultTransport) with its TLS roots
	// changed.
	HTTPClient *http.Client
	// UserAgent is prepended to x/crypto/acme's User-Agent header. If empty,
	// "certflow" is used.
	UserAgent string
	// WrapTransport, if set, wraps every client's final transport (after
	// any caBundle clone), e.g. to observe the CA's Retry-After headers.
	// It is given the issuer's directory URL: the CA the user configured,
	// as opposed to the hosts the CA's answers send the client to.
	WrapTransport func(rt http.RoundTripper, directoryURL string) http.RoundTripper
	// MaxInFlight bounds the ACME work of one account that reconcilers run
	// at once (see ACMEClients.Slot), so a CA that holds requests open
	// cannot take every worker. If 0, DefaultMaxInFlight.
	MaxInFlight int
	// Enqueue, if set, is called with each issuer whose account the CA
	// just asked to wait, so that its reconcile records the wait in its
	// status for every process sharing the Store (accounthold.go).
	Enqueue func(meta.Ref)
}

// ACMEClients caches one *acme.Client per ACME issuer, so the directory,
// nonces and connections are reused by every reconcile and order of that
// issuer. A cached client is replaced when the issuer's UID, server, TLS
// settings, account key or account URI change. Safe for concurrent use; the
// zero value is not usable, use NewACMEClients.
//
// Clients retry only a bad nonce by themselves (the protocol's own retry);
// every other failure, a 5xx or a 429, is returned at once so that the
// reconciler records it and comes back after a backoff or the CA's
// Retry-After instead of multiplying the load or blocking a worker.
//
// The CA limits accounts, not orders: every client of one account (an
// account key at a server) shares one gate. After a 429 no request of the
// account leaves before its Retry-After (it is answered locally with a 429
// naming the remaining wait), and Slot bounds the account's work in flight.
type ACMEClients struct {
	deps reconcile.Deps
	opts Options

	// post sends the requests x/crypto/acme cannot (renewalInfo).
	post acmepost.Client

	mu    sync.Mutex
	byRef map[meta.Ref]*clientEntry
	gates map[string]*accountGate // by accountID
}

type clientEntry struct {
	fingerprint clientKey
	client      *acme.Client
	transport   *http.Transport // cloned by us, closed when replaced; nil if shared
	// verifiedAt is when (Unix nanoseconds, deps.Clock) the CA last confirmed
	// the account in this process; until accountRecheck later, reconciles
	// skip the network. Zero: never.
	verifiedAt atomic.Int64
	// account is the accountID of the client's account.
	account string
}

// accountRecheck is how long a confirmed account is trusted before the
// reconciler asks the CA again (it may have been deactivated or forgotten).
const accountRecheck = 24 * time.Hour

// verifiedUntil returns when the entry's confirmation expires, or zero.
func (e *clientEntry) verifiedUntil() time.Time {
	v := e.verifiedAt.Load()
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).Add(accountRecheck)
}

// NewACMEClients returns an empty cache reading account keys through deps.Store.
func NewACMEClients(deps reconcile.Deps, opts Options) *ACMEClients {
	if opts.UserAgent == "" {
		opts.UserAgent = "certflow"
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real{}
	}
	return &ACMEClients{deps: deps, opts: opts, byRef: map[meta.Ref]*clientEntry{}, gates: map[string]*accountGate{}}
}

// Slot asks to start one piece of ACME work (one reconcile's conversation
// with the CA) for the account of iss. When ok, release must be called once
// the work ended. When not, retryAt says when to look again: the end of the
// account's rate limit, or shortly when the account's slots are all taken
// (a CA holding requests open); then, if wake is not nil, it is called once
// for key (e.g. to requeue the caller's object) as soon as a slot is given
// back, first come first served. It never blocks. An issuer without a
// registered account gets a slot that limits nothing.
func (c *ACMEClients) Slot(iss Object, key string, wake func()) (release func(), retryAt time.Time, ok bool) {
	g := c.gateOf(iss)
	if g == nil {
		return func() {}, time.Time{}, true
	}
	g.seed(iss)
	return g.slot(key, wake)
}

// HeldUntil returns until when the CA asked iss's account to wait (the
// Retry-After of a 429 or a 503, capped), or zero when it may send now.
func (c *ACMEClients) HeldUntil(iss Object) time.Time {
	g := c.gateOf(iss)
	if g == nil {
		return time.Time{}
	}
	g.seed(iss)
	return g.wait(g.clock.Now())
}

// gateOf returns the gate of iss's registered account, or nil.
func (c *ACMEClients) gateOf(iss Object) *accountGate {
	a := iss.IssuerSpec().ACME
	st := iss.IssuerStatus().ACME
	if a == nil || st == nil || st.LastPrivateKeyHash == "" {
		return nil
	}
	return c.gate(accountID(a.Server, st.LastPrivateKeyHash))
}

// accountID names an account at a CA: its server and its key.
func accountID(server, keyHash string) string { return server + "|" + keyHash }

func (c *ACMEClients) gate(id string) *accountGate {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.gates[id]
	if g == nil {
		g = newAccountGate(c.deps.Clock, c.opts.MaxInFlight)
		g.onHold = func() { c.accountHeld(id) }
		c.gates[id] = g
	}
	return g
}

// Client returns the ready ACME client of iss, an ACME issuer whose Ready
// condition is True for its current generation: Key, DirectoryURL,
// HTTPClient and KID (the registered account URI) are set. It reads the
// account key Secret only when no client is cached. Errors match
// ErrNotReady (retry once the issuer is ready) or reconcile.ErrTerminal with
// ErrUnsupported (not an ACME issuer). The client is shared: do not modify it.
func (c *ACMEClients) Client(ctx context.Context, iss Object) (*acme.Client, error) {
	ref := meta.RefOf(iss)
	a := iss.IssuerSpec().ACME
	if a == nil {
		return nil, fmt.Errorf("issuer: acme client: %w: %w: %s is not an ACME issuer", reconcile.ErrTerminal, ErrUnsupported, ref)
	}
	st := iss.IssuerStatus()
	cond := st.Conditions.Get(meta.ConditionReady)
	if cond == nil || cond.Status != meta.ConditionTrue || cond.ObservedGeneration != iss.GetMeta().Generation ||
		st.ACME == nil || st.ACME.URI == "" || st.ACME.LastPrivateKeyHash == "" {
		return nil, fmt.Errorf("issuer: acme client: %w: %s has no registered ACME account for its current spec", ErrNotReady, ref)
	}
	fp := fingerprint(iss.GetMeta().UID, a, st.ACME.LastPrivateKeyHash, st.ACME.URI)
	if e := c.lookup(ref, fp); e != nil {
		return e.client, nil
	}
	key, problem, err := loadAccountKey(ctx, c.deps.Store, c.deps.SecretNamespace(ref), a)
	if err != nil {
		return nil, fmt.Errorf("issuer: acme client: %w", err)
	}
	if problem != "" {
		return nil, fmt.Errorf("issuer: acme client: %w: %s", ErrNotReady, problem)
	}
	if accountKeyHash(key) != st.ACME.LastPrivateKeyHash {
		return nil, fmt.Errorf("issuer: acme client: %w: account key of %s changed since registration", ErrNotReady, ref)
	}
	e, err := c.build(a, key, st.ACME.URI, fp)
	if err != nil {
		return nil, err
	}
	return c.put(ref, e).client, nil
}

// Post returns the cache's signed-request client (newOrder, finalize,
// renewalInfo), shared so that nonces and the directory are read once.
func (c *ACMEClients) Post() *acmepost.Client { return &c.post }

// Invalidate drops the cached client of the issuer named ref, so the next
// Client call reads the account key again and the issuer's next reconcile
// confirms the account with the CA (re-registering it if the CA no longer
// knows it). Call it when the CA answers accountDoesNotExist or unauthorized.
func (c *ACMEClients) Invalidate(ref meta.Ref) { c.forget(ref) }

// CloseIdleConnections closes idle connections of every transport the cache
// created; call it when the Manager stops.
func (c *ACMEClients) CloseIdleConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.byRef {
		if e.transport != nil {
			e.transport.CloseIdleConnections()
		}
	}
}

// clientKey identifies everything a cached client depends on. It is a
// comparable struct, not a joined string: Client builds one for every ACME
// step of every reconcile, and the string cost five allocations each time.
type clientKey struct {
	uid, server, keyHash, kid string
	skipTLSVerify             bool
	bundle                    [8]byte // of the CA bundle's SHA-256
}

// fingerprint is the clientKey of a client for a.
func fingerprint(uid string, a *ACMEIssuer, keyHash, kid string) clientKey {
	k := clientKey{uid: uid, server: a.Server, keyHash: keyHash, kid: kid, skipTLSVerify: a.SkipTLSVerify}
	if len(a.CABundle) > 0 {
		sum := sha256.Sum256(a.CABundle)
		k.bundle = [8]byte(sum[:8])
	}
	return k
}

func (c *ACMEClients) lookup(ref meta.Ref, fp clientKey) *clientEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byRef[ref]; e != nil && e.fingerprint == fp {
		return e
	}
	return nil
}

// put stores e unless an entry with the same fingerprint won a race, and
// returns the entry in the cache.
func (c *ACMEClients) put(ref meta.Ref, e *clientEntry) *clientEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.byRef[ref]
	if old != nil && old.fingerprint == e.fingerprint {
		if e.transport != nil {
			e.transport.CloseIdleConnections()
		}
		return old
	}
	if old != nil && old.transport != nil {
		old.transport.CloseIdleConnections()
	}
	c.byRef[ref] = e
	return e
}

// rekey records that e's account is now known as fp (its client discovered
// the account URI itself, so it stays valid).
func (c *ACMEClients) rekey(ref meta.Ref, e *clientEntry, fp clientKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byRef[ref] == e {
		e.fingerprint = fp
	}
}

func (c *ACMEClients) forget(ref meta.Ref) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.byRef[ref]; e != nil && e.transport != nil {
		e.transport.CloseIdleConnections()
	}
	delete(c.byRef, ref)
}

// build makes a client for a with key; kid, when known, saves the client a
// round trip to discover the account URL.
func (c *ACMEClients) build(a *ACMEIssuer, key crypto.Signer, kid string, fp clientKey) (*clientEntry, error) {
	hc, tr, err := c.httpClient(a)
	if err != nil {
		return nil, err
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	rt = boundNonces{rt}
	if wrap := c.opts.WrapTransport; wrap != nil {
		rt = wrap(rt, a.Server)
	}
	id := accountID(a.Server, accountKeyHash(key))
	rt = c.gate(id).transport(rt)
	hc = timedClient(rt, hc)
	return &clientEntry{
		fingerprint: fp,
		account:     id,
		transport:   tr,
		client: &acme.Client{
			Key:          key,
			HTTPClient:   hc,
			DirectoryURL: a.Server,
			UserAgent:    c.opts.UserAgent,
			KID:          acme.KeyID(kid),
			RetryBackoff: retryBackoff,
		},
	}, nil
}

// httpClient returns the Options client, or a copy trusting a's caBundle (or
// anything, with skipTLSVerify) and the transport it cloned for it.
func (c *ACMEClients) httpClient(a *ACMEIssuer) (*http.Client, *http.Transport, error) {
	base := c.opts.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	if !a.SkipTLSVerify && len(a.CABundle) == 0 {
		return base, nil, nil
	}
	rt := base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	bt, ok := rt.(*http.Transport)
	if !ok {
		return nil, nil, fmt.Errorf("issuer: acme client: %w: caBundle/skipTLSVerify need an *http.Transport, Options.HTTPClient has %T", ErrNotReady, rt)
	}
	tr := bt.Clone()
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if a.SkipTLSVerify {
		tr.TLSClientConfig.InsecureSkipVerify = true
	} else {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(a.CABundle) {
			return nil, nil, fmt.Errorf("issuer: acme client: %w: caBundle holds no PEM certificate", ErrNotReady)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	hc := &http.Client{Transport: tr, Timeout: base.Timeout, CheckRedirect: base.CheckRedirect, Jar: base.Jar}
	return hc, tr, nil
}

// retryBackoff is the clients' RetryBackoff: a bad nonce (the protocol's
// own retry, RFC 8555 §6.5) is retried at once a few times with the fresh
// nonce that came with it; nothing else is retried inside a call. A 5xx or
// a 429 goes back to the reconciler, which records it and comes back after
// its backoff or the CA's Retry-After, so one visit sends one request.
func retryBackoff(n int, _ *http.Request, res *http.Response) time.Duration {
	const maxNonceRetries = 3
	if n > maxNonceRetries || res == nil || res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests {
		return 0
	}
	return time.Millisecond // bad nonce: a fresh nonce comes with the answer
}
