package certflow

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"hash/maphash"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/internal/jsonmember"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// missActiveWindowMin is the least time after the last change of a
// Certificate's issuance (the Certificate, its request, order or
// challenges) during which a validation of one of its names may arrive.
// An issuance attempt writes its Certificate when it starts and its order
// and challenges as they progress; the CA validates seconds after a
// challenge is accepted, and the accept follows the self-check, so the
// window is also at least twice the self-check's bound.
const missActiveWindowMin = 10 * time.Minute

// missGate decides which validation misses may be real, so that only
// those read the Store: a validation arrives for a name of a Certificate
// whose issuance is under way, and an issuance changes its objects as it
// goes. It learns both from what the Manager's watch already delivers —
// the names from the Certificate's AnnotationValidationNames, the
// issuance's progress from the changes of the Certificate and of the
// objects it owns (through the owner index) — and so costs no Store call.
// Made-up hosts, SNI names and tokens for a name nothing is issued for
// are answered at once and read nothing.
type missGate struct {
	clock  clock.Clock
	window time.Duration

	mu sync.Mutex
	// certs holds each Certificate's AnnotationValidationNames value, or
	// that it has none (stored other than through Manager.Apply: its
	// validations may be for any name). A refTable rather than two maps
	// keyed by meta.Ref: ~50 bytes a Certificate instead of ~150.
	certs refTable[gateCert]
	// active holds, per name (folded DNS name, IP address, or the reverse
	// name of one), until when a validation for it may be real, in Unix
	// nanoseconds; anyUntil is when an unnamed Certificate's issuance
	// stops opening every name. A name is keyed by its hash (activeKey):
	// the map holds no pointer and 16 bytes a name instead of 40 (every
	// name an issuance opened stays 10 minutes: at 100,000 certificates
	// ~10 MiB for the collector to mark), and a collision only lets a
	// made-up name read the Store, as a real validation would.
	active    map[uint64]int64
	seed      maphash.Seed
	anyUntil  time.Time
	nextSweep time.Time
}

// gateCert is what the gate knows of a Certificate: its validation names,
// if named.
type gateCert struct {
	names refText // in certs' texts
	named bool
}

func (c *gateCert) refTexts(yield func(*refText) bool) { yield(&c.names) }

func newMissGate(clk clock.Clock, selfCheckTimeout time.Duration) *missGate {
	return &missGate{clock: clk, window: max(missActiveWindowMin, 2*selfCheckTimeout),
		active: map[uint64]int64{}, seed: maphash.MakeSeed()}
}

// observe learns from one watched change; owners is the Manager's owner
// index.
func (g *missGate) observe(ev store.WatchEvent, owners *ownerIndex) {
	switch ev.Ref.Kind {
	case meta.KindCertificate:
		g.mu.Lock()
		defer g.mu.Unlock()
		if ev.Type == store.Deleted {
			if id, ok := g.certs.lookup(ev.Ref); ok {
				g.certs.release(id)
			}
			return
		}
		g.setLocked(ev.Ref, ev.Meta.Annotations)
		g.activateLocked(ev.Ref, g.clock.Now())
	case meta.KindCertificateRequest, meta.KindOrder, meta.KindChallenge:
		if ev.Type == store.Deleted {
			return
		}
		// Challenge → Order → CertificateRequest → Certificate.
		var buf [2]meta.Ref // one Certificate, as a rule: no allocation
		certs := owners.appendCertificates(buf[:0], ev.Meta.OwnerRefs, 3)
		if len(certs) == 0 {
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		now := g.clock.Now()
		for _, c := range certs {
			g.activateLocked(c, now)
		}
	}
}

// reset learns every Certificate listed, and takes each as possibly
// issuing: nothing says which issuances went on while no watch ran.
func (g *missGate) reset(items []store.Raw) {
	var certs refTable[gateCert]
	var listed []meta.Ref
	for _, raw := range items {
		if raw.Ref.Kind != meta.KindCertificate {
			continue
		}
		id, _ := certs.intern(raw.Ref)
		v, ok := validationNamesOf(raw)
		c := certs.at(id)
		certs.setText(&c.names, v)
		c.named = ok
		listed = append(listed, raw.Ref)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.certs = certs
	now := g.clock.Now()
	for _, ref := range listed {
		g.activateLocked(ref, now)
	}
}

// validationNamesOf reads a listed Certificate's AnnotationValidationNames
// without decoding the rest of it (a restart lists every Certificate): it
// finds metadata, then annotations, then the annotation, member by member.
// A key it cannot compare as written (escaped, or another case, which
// encoding/json would match) has the metadata decoded in full instead.
func validationNamesOf(raw store.Raw) (string, bool) {
	plain := true
	member := func(obj []byte, name string) []byte {
		var found []byte
		jsonmember.Each(obj, func(key, value []byte) bool {
			switch {
			case string(key) == name:
				found = value
				return false
			case bytes.EqualFold(key, []byte(name)) || bytes.IndexByte(key, '\\') >= 0:
				plain = false
				return false
			}
			return true
		})
		return found
	}
	var v string
	if value := member(member(member(raw.Data, "metadata"), "annotations"), certificate.AnnotationValidationNames); plain {
		ok := value != nil && json.Unmarshal(value, &v) == nil
		return v, ok
	}
	om, err := rawMeta(raw)
	if err != nil {
		return "", false
	}
	v, ok := om.Annotations[certificate.AnnotationValidationNames]
	return v, ok
}

func (g *missGate) setLocked(ref meta.Ref, annotations map[string]string) {
	v, ok := annotations[certificate.AnnotationValidationNames]
	id, _ := g.certs.intern(ref)
	c := g.certs.at(id)
	g.certs.setText(&c.names, v)
	c.named = ok
}

// activateLocked opens cert's names for a window from now; a Certificate
// without names opens every name. One the gate does not know is gone (the
// watch delivers a Certificate before what it owns, and a list holds it):
// nothing is issued for it.
func (g *missGate) activateLocked(cert meta.Ref, now time.Time) {
	until := now.Add(g.window)
	if now.After(g.nextSweep) {
		g.sweepLocked(now)
	}
	id, known := g.certs.lookup(cert)
	if !known {
		return
	}
	c := g.certs.at(id)
	if !c.named {
		if until.After(g.anyUntil) {
			g.anyUntil = until
		}
		return
	}
	// Every change of an issuance's objects comes here (some fifteen per
	// certificate), so the names are walked in place: splitting them, and
	// parsing each DNS name as an address only to fail, allocated.
	names := g.certs.text(c.names)
	for len(names) > 0 {
		var name []byte
		name, names, _ = bytes.Cut(names, []byte{','})
		g.active[g.activeKeyBytes(name)] = until.UnixNano()
		if !mayBeIP(name) {
			continue
		}
		if ip, err := netip.ParseAddr(string(name)); err == nil {
			// RFC 8738 §6: a TLS-ALPN-01 validator sends the reverse name.
			g.active[g.activeKey(solver.ReverseName(ip.AsSlice()))] = until.UnixNano()
		}
	}
}

// mayBeIP reports whether name may be an IP address, as netip.ParseAddr
// takes one: an IPv6 address holds a colon, an IPv4 one digits and dots
// only. A DNS name (with a letter, a hyphen, and no colon) is not.
func mayBeIP(name []byte) bool {
	if bytes.IndexByte(name, ':') >= 0 {
		return true
	}
	for _, b := range name {
		if b != '.' && (b < '0' || b > '9') {
			return false
		}
	}
	return len(name) > 0
}

// sweepLocked forgets the names whose window has passed, into a new map:
// a map does not shrink, and the one a restart's list filled would keep
// its size for good.
func (g *missGate) sweepLocked(now time.Time) {
	active := make(map[uint64]int64)
	for key, until := range g.active {
		if now.UnixNano() < until {
			active[key] = until
		}
	}
	g.active, g.nextSweep = active, now.Add(g.window)
}

// mayBeReal reports whether a validation for name (a Host without its
// port, an SNI name, or an IP address) may be one the CA sends now.
func (g *missGate) mayBeReal(name string) bool {
	key := gateKey(name)
	if key == "" {
		return false
	}
	now := g.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.anyUntil) {
		return true
	}
	k := g.activeKey(key)
	until, ok := g.active[k]
	if ok && now.UnixNano() >= until {
		delete(g.active, k)
		return false
	}
	return ok
}

// activeKey is what active keys a name by (gateKey's form).
func (g *missGate) activeKey(name string) uint64 { return maphash.String(g.seed, name) }

func (g *missGate) activeKeyBytes(name []byte) uint64 { return maphash.Bytes(g.seed, name) }

// gateKey is name as the gate indexes it: an IP address in its canonical
// form, a DNS name folded without its trailing dot.
func gateKey(name string) string {
	name = strings.TrimSuffix(name, ".")
	if ip, err := netip.ParseAddr(name); err == nil {
		return ip.Unmap().String()
	}
	return dnsname.Fold(name)
}

// helloName is what an acme-tls/1 hello asks for: its SNI name, or for an
// IP address validated without SNI, the address the client reached.
func helloName(hello *tls.ClientHelloInfo) string {
	if hello.ServerName != "" || hello.Conn == nil {
		return hello.ServerName
	}
	if a, ok := hello.Conn.LocalAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			return ip.Unmap().String()
		}
	}
	return ""
}
