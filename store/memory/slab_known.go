package memory

import (
	"encoding/binary"

	"github.com/certflow/certflow/meta"
)

// A string a slab would hold inline is written as a one- or two-byte
// reference instead when the reader can find it without it (tagKnown):
//   - the object's own namespace or name (index 0, 1), which an owner
//     reference, an Event's involved object or a spec repeats;
//   - one of knownStrings (index 2 on): kinds, API versions and the
//     words certflow's objects hold in every copy;
//   - an inline string written earlier in the same slab (index
//     knownBase + its distance back), such as the owner's name an Event
//     repeats as its involved object.
//
// An Event holds its namespace three times, its owner's kind and name
// twice: ~60 of its ~200 bytes, at ~5 Events a certificate.

// knownStrings are words a slab writes as an index. The list is the
// process's own (slabs are never persisted), so it may change freely; an
// index below 32 fits one byte, the rest two.
//
// Past the first words come the annotation and label keys, PEM block
// types, Secret type and fixed messages every issued certificate's
// Certificate, request and Secret carry (cert-manager's annotations on a
// Secret and a request, certflow's own). Shared, each cost its slab an
// 8-byte handle: ~26 handles a certificate, ~210 bytes with their arrays'
// rounding at 100,000 certificates. A string not listed is kept as before,
// so a word that changes elsewhere costs memory, never correctness.
var knownStrings = [...]string{
	string(meta.KindIssuer), string(meta.KindClusterIssuer), string(meta.KindCertificate),
	string(meta.KindCertificateRequest), string(meta.KindOrder), string(meta.KindChallenge),
	string(meta.KindSecret), string(meta.KindEvent),
	meta.APIVersionCertManager, meta.APIVersionACME, meta.APIVersionCore,
	string(meta.EventNormal), string(meta.EventWarning),
	"True", "False", "Unknown", "Ready", "Issuing", "Approved", "Generated", "Requested", "Issued",

	"cert-manager.io/alt-names", "cert-manager.io/certificate-name", "cert-manager.io/common-name",
	"cert-manager.io/email-sans", "cert-manager.io/ip-sans", "cert-manager.io/uri-sans",
	"cert-manager.io/issuer-group", "cert-manager.io/issuer-kind", "cert-manager.io/issuer-name",
	"cert-manager.io/certificate-revision", "cert-manager.io/private-key-secret-name",
	"certflow.io/spec-hash", "certflow.io/secret-name", "certflow.io/validation-names",
	"certflow.io/next-private-key", "cert-manager.io", "kubernetes.io/tls",
	"CERTIFICATE", "CERTIFICATE REQUEST", "EC PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY",
	"Certificate is up to date and has not expired",
	"Certificate request has been approved by certflow",
	"Certificate fetched from issuer successfully",
}

const (
	knownRefNamespace = 0
	knownRefName      = 1
	knownBase         = 2 + len(knownStrings)
)

// knownByLen lists knownStrings' indexes by length: a lookup compares s
// with the few known strings of its length (most differ in their first
// bytes), which costs less than hashing it for a map, at every string a
// slab writes.
var knownByLen = func() (by [64][]uint8) {
	const _ = uint8(len(knownStrings) - 1) // indexes fit a byte
	for i, s := range knownStrings {
		by[len(s)] = append(by[len(s)], uint8(i))
	}
	return by
}()

// knownLens has bit n set when a known string is n bytes long: most
// strings a slab writes are not known, and their length tells so without
// hashing them.
var knownLens = func() (bits uint64) {
	for _, s := range knownStrings {
		if len(s) < 64 {
			bits |= 1 << len(s)
		}
	}
	return bits
}()

// knownIndex returns the index of s among knownStrings, if listed. Every
// known string is shorter than 64 bytes (TestKnownStrings_AreShort), so a
// longer one (a certificate's DER, through slabWriter.plain) is not hashed.
func knownIndex(s string) (uint64, bool) {
	if len(s) >= 64 || knownLens&(1<<len(s)) == 0 {
		return 0, false
	}
	for _, i := range knownByLen[len(s)] {
		if knownStrings[i] == s {
			return 2 + uint64(i), true
		}
	}
	return 0, false
}

// backrefWindow is how many earlier inline strings a writer compares a
// string with; backrefMinLen the shortest worth a reference.
const (
	backrefWindow = 16
	backrefMinLen = 3
)

// inlineAt is an inline string a writer wrote, and where its header is.
type inlineAt struct {
	s   string
	pos int
}

// known writes s as a reference and reports true, or writes nothing and
// reports false.
func (w *slabWriter) known(s string) bool {
	if len(s) == 0 {
		return false
	}
	var v uint64
	switch i, ok := knownIndex(s); {
	case ok:
		v = i
	case s == w.ref.Namespace:
		v = knownRefNamespace
	case s == w.ref.Name:
		v = knownRefName
	default:
		if len(s) < backrefMinLen {
			return false
		}
		at := -1
		for i := range min(w.recentN, backrefWindow) {
			if r := &w.recent[i]; r.s == s {
				at = r.pos
				break
			}
		}
		if at < 0 {
			return false
		}
		v = uint64(knownBase + len(w.buf) - at)
		w.block += len(s) // a copying reader copies it as an inline one
	}
	w.uvarint(v<<2 | tagKnown)
	return true
}

// remember notes an inline string whose header is at pos, for a later
// equal one to refer to.
func (w *slabWriter) remember(s string, pos int) {
	if len(s) < backrefMinLen {
		return
	}
	w.recent[w.recentN%backrefWindow] = inlineAt{s: s, pos: pos}
	w.recentN++
}

// known reads a reference v whose header is at start.
func (r *slabReader) known(v uint64, start int) string {
	switch {
	case v == knownRefNamespace:
		return r.ref.Namespace
	case v == knownRefName:
		return r.ref.Name
	case v < uint64(knownBase):
		return knownStrings[v-2]
	}
	at := start - int(v-uint64(knownBase))
	h, n := binary.Uvarint(r.data[at:])
	if h&3 != tagInline {
		panic("memory: slab: a reference to a string not inline")
	}
	return r.inline(r.data[at+n : at+n+int(h>>2)])
}
