package serve

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// Bounds of an ACME token: RFC 8555 §8.3 asks for at least 128 bits of
// entropy in base64url (22 characters); 128 characters leaves room for any
// CA while rejecting garbage before a lookup.
const (
	minTokenLen = 22
	maxTokenLen = 128
)

// TokenSource answers HTTP-01 requests: it maps a token to the key
// authorization to serve and the identifier (DNS name or IP address) the
// request's Host must name. *Cache implements it from the challenges it was
// given.
type TokenSource interface {
	KeyAuthorization(token string) (keyAuth, dnsName string, ok bool)
}

var _ TokenSource = (*Cache)(nil)

// challengeEntry is one servable challenge. Entries are immutable but for
// seq.
type challengeEntry struct {
	ref        meta.Ref
	typ        solver.Type
	identifier string // lower-case DNS name without trailing dot, or canonical IP text
	token      string
	keyAuth    string
	cert       *tls.Certificate // TLS-ALPN-01 only
	// seq orders puts: the later wins when two challenges share a name
	// or token. The one field changed after publication (a re-put of the
	// same answer), and read and written under Cache.mu only.
	seq uint64
}

// challengeIndex is one immutable snapshot of the servable challenges. There
// are few, so every change rebuilds the lookup maps from byRef.
type challengeIndex struct {
	byRef  map[meta.Ref]*challengeEntry
	alpn   map[string]*tls.Certificate // identifier, and for IPs their reverse name
	alpnIP map[netip.Addr]*tls.Certificate
	tokens map[string]*challengeEntry
}

func emptyChallengeIndex() *challengeIndex {
	return &challengeIndex{
		byRef:  map[meta.Ref]*challengeEntry{},
		alpn:   map[string]*tls.Certificate{},
		alpnIP: map[netip.Addr]*tls.Certificate{},
		tokens: map[string]*challengeEntry{},
	}
}

// with returns a new index with put added (replacing its Ref) and del
// removed. ix is not modified.
func (ix *challengeIndex) with(put *challengeEntry, del meta.Ref) *challengeIndex {
	n := emptyChallengeIndex()
	n.byRef = maps.Clone(ix.byRef)
	delete(n.byRef, del)
	if put != nil {
		n.byRef[put.ref] = put
	}
	// Assign in put order so the latest challenge for a name or token wins.
	entries := slices.SortedFunc(maps.Values(n.byRef), func(a, b *challengeEntry) int {
		return cmp.Compare(a.seq, b.seq)
	})
	for _, e := range entries {
		switch e.typ {
		case solver.HTTP01:
			n.tokens[e.token] = e
		case solver.TLSALPN01:
			n.alpn[e.identifier] = e.cert
			if ip, err := netip.ParseAddr(e.identifier); err == nil {
				// RFC 8738 §6: the validator sends the reverse name as SNI.
				n.alpn[solver.ReverseName(ip.AsSlice())] = e.cert
				n.alpnIP[ip] = e.cert
			}
		}
	}
	return n
}

// PutChallenge serves ch if it is an HTTP-01 or TLS-ALPN-01 challenge that is
// not final (Status.State) and not cleaned up; any other challenge — DNS-01,
// final, cleaned up — is removed as DeleteChallenge would, and nil is
// returned, so a Manager can feed every Challenge event here.
//
// Reads are ordered by ResourceVersion as PutSecret's are: a challenge older
// than the version already put or deleted is ignored (nil is returned), and
// so is the version already served.
//
// For TLS-ALPN-01 it builds the challenge certificate now (RFC 8737 §3:
// self-signed with a fresh P-256 key, the identifier as only SAN, the
// critical acmeIdentifier extension holding SHA-256 of the key
// authorization), or keeps the one already built for the same identifier and
// key authorization. When two pending challenges share a name (or token),
// the one put last is served.
//
// A servable challenge without identifier or key authorization, with a
// wildcard identifier, or (HTTP-01) with a token outside the base64url
// alphabet or 22–128 characters, returns an error wrapping
// ErrInvalidChallenge and changes nothing.
func (c *Cache) PutChallenge(ch *challenge.Challenge) error {
	if ch == nil {
		return fmt.Errorf("serve: put challenge: %w: nil challenge", ErrInvalidChallenge)
	}
	ref, v := meta.RefOf(ch), parseVersion(ch.ObjectMeta.ResourceVersion)
	if !servable(ch) {
		c.deleteChallenge(ref, v)
		return nil
	}
	e, err := c.newChallengeEntry(ref, ch)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.challengeVersions.stale(ref, v) || c.servingVersionLocked(ref, v) {
		return nil
	}
	c.challengeVersions.record(ref, v, false)
	c.seq++
	cur := c.challenges.Load()
	if old := cur.byRef[ref]; old != nil && old.sameAnswer(e) && cur.winsAll(old) {
		// The Manager re-puts a challenge at each of its status changes
		// (four per issuance) with the same answer: it is served as it
		// is, and being put last leaves it the winner of every lookup it
		// is in, so a new snapshot would equal this one. Only its place
		// among later puts changes; seq is read under mu alone.
		old.seq = c.seq
		return nil
	}
	e.seq = c.seq
	c.challenges.Store(cur.with(e, meta.Ref{}))
	return nil
}

// sameAnswer reports whether e answers what old does: the same type,
// identifier, token, key authorization and (TLS-ALPN-01) certificate.
func (old *challengeEntry) sameAnswer(e *challengeEntry) bool {
	return old.typ == e.typ && old.identifier == e.identifier && old.token == e.token &&
		old.keyAuth == e.keyAuth && old.cert == e.cert
}

// winsAll reports whether e is what ix serves for each lookup e is in.
func (ix *challengeIndex) winsAll(e *challengeEntry) bool {
	switch e.typ {
	case solver.HTTP01:
		return ix.tokens[e.token] == e
	case solver.TLSALPN01:
		if ix.alpn[e.identifier] != e.cert {
			return false
		}
		if ip, err := netip.ParseAddr(e.identifier); err == nil {
			return ix.alpn[solver.ReverseName(ip.AsSlice())] == e.cert && ix.alpnIP[ip] == e.cert
		}
		return true
	}
	return false
}

// servingVersionLocked reports whether ref is served at version v already:
// putting it again changes nothing, and keeps its place among challenges
// sharing its name or token (a re-read of the Store must not make an older
// challenge win over a newer one).
func (c *Cache) servingVersionLocked(ref meta.Ref, v uint64) bool {
	m, ok := c.challengeVersions.seen[ref]
	if v == 0 || !ok || m.deleted || m.version != v {
		return false
	}
	_, served := c.challenges.Load().byRef[ref]
	return served
}

// DeleteChallenge stops serving the challenge named ref. Deleting an unknown
// ref is a no-op. It is unordered; DeleteChallengeAt is its ordered form.
func (c *Cache) DeleteChallenge(ref meta.Ref) { c.deleteChallenge(ref, 0) }

// DeleteChallengeAt is DeleteChallenge for a deletion seen at store
// revision resourceVersion (a watch event's revision, or that of a list that
// no longer holds ref): a version of the challenge put since, which is newer,
// keeps being served — the CA may be validating it — and a read older than
// the deletion put later is ignored.
func (c *Cache) DeleteChallengeAt(ref meta.Ref, resourceVersion string) {
	c.deleteChallenge(ref, parseVersion(resourceVersion))
}

func (c *Cache) deleteChallenge(ref meta.Ref, v uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.challengeVersions.stale(ref, v) {
		return
	}
	c.challengeVersions.record(ref, v, true)
	cur := c.challenges.Load()
	if _, ok := cur.byRef[ref]; !ok {
		return
	}
	c.challenges.Store(cur.with(nil, ref))
}

// KeyAuthorization returns the key authorization of the pending HTTP-01
// challenge with this token and the identifier it validates. It takes no
// lock.
func (c *Cache) KeyAuthorization(token string) (keyAuth, dnsName string, ok bool) {
	e := c.challenges.Load().tokens[token]
	if e == nil {
		return "", "", false
	}
	return e.keyAuth, e.identifier, true
}

func servable(ch *challenge.Challenge) bool {
	switch ch.Spec.Type {
	case solver.HTTP01, solver.TLSALPN01:
		return !ch.Status.State.IsFinal() && !ch.Status.CleanedUp
	case solver.DNS01:
		return false
	}
	return false
}

func (c *Cache) newChallengeEntry(ref meta.Ref, ch *challenge.Challenge) (*challengeEntry, error) {
	invalid := func(why string) error {
		return fmt.Errorf("serve: put challenge %s: %w: %s", ref, ErrInvalidChallenge, why)
	}
	switch {
	case ch.Spec.DNSName == "":
		return nil, invalid("no identifier")
	case ch.Spec.Key == "":
		return nil, invalid("no key authorization")
	case ch.Spec.Wildcard:
		return nil, invalid(string(ch.Spec.Type) + " cannot validate a wildcard identifier")
	case ch.Spec.Type == solver.HTTP01 && !validToken(ch.Spec.Token):
		return nil, invalid("token is not 22-128 base64url characters")
	}
	e := &challengeEntry{
		ref:        ref,
		typ:        ch.Spec.Type,
		identifier: normalizeIdentifier(ch.Spec.DNSName),
		token:      ch.Spec.Token,
		keyAuth:    ch.Spec.Key,
	}
	if e.typ != solver.TLSALPN01 {
		return e, nil
	}
	// The Manager re-puts a challenge on every status change; reuse the
	// certificate rather than generate a key each time.
	if old := c.challenges.Load().byRef[ref]; old != nil && old.cert != nil &&
		old.identifier == e.identifier && old.keyAuth == e.keyAuth {
		e.cert = old.cert
		return e, nil
	}
	cert, err := solver.TLSALPN01Cert(solver.Challenge{Identifier: e.identifier, KeyAuthorization: e.keyAuth}, c.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("serve: put challenge %s: %w", ref, err)
	}
	e.cert = cert
	return e, nil
}

// normalizeIdentifier returns an IP address in canonical text form and a DNS
// name lower-cased without trailing dot, so lookups compare like with like.
func normalizeIdentifier(id string) string {
	if ip, err := netip.ParseAddr(id); err == nil {
		return ip.Unmap().String()
	}
	return dnsname.Fold(id)
}

// validToken reports whether tok is 22–128 characters of the base64url
// alphabet (RFC 8555 §8.1), which also rules out "/", "." and "%".
func validToken(tok string) bool {
	if len(tok) < minTokenLen || len(tok) > maxTokenLen {
		return false
	}
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// challengeCertificate answers an acme-tls/1 hello.
func (c *Cache) challengeCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	ix := c.challenges.Load()
	name := dnsname.Fold(hello.ServerName)
	if name == "" {
		if ip, ok := localAddr(hello.Conn); ok {
			if cert := ix.alpnIP[ip]; cert != nil {
				return cert, nil
			}
		}
	} else if cert := ix.alpn[name]; cert != nil {
		return cert, nil
	}
	return nil, fmt.Errorf("serve: get certificate: %w: %q", ErrNoChallenge, name)
}
