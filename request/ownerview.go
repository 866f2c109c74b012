package request

import (
	"time"

	"github.com/certflow/certflow/meta"
)

// CertificateView is the reconcile.OwnerView of a CertificateRequest for
// its Certificate: all of the request but its conditions while it is not
// final. The Certificate decides on a pending request by its spec, labels
// and annotations only (does it match the spec and the next key; was it
// rejected); its conditions matter once they make it final (issued,
// failed, denied, invalid), and a final request has no view: its changes
// always wake, and nothing is remembered about it. So approval, the Order
// being created, and each step of the Order mirrored in the Ready message
// (as cert-manager does) do not wake the Certificate to decide again to
// wait.
//
// The view is a 64-bit FNV-1a of those fields, each length-prefixed, with
// maps hashed entry by entry so that their order does not matter. It is
// computed at every write and watch event of a request: hashing the fields
// where they lie costs one allocation (the result as an interface), where
// hashing their JSON cost a dozen and a base64 pass over the chain.
func CertificateView(obj meta.Object) any {
	req, ok := obj.(*CertificateRequest)
	if !ok || IsFinal(req) {
		return nil
	}
	h := viewHash(fnvOffset)
	h = h.stringMap(req.ObjectMeta.Labels)
	h = h.stringMap(req.ObjectMeta.Annotations)
	st := &req.Status
	h = h.bytes(st.Certificate)
	h = h.bytes(st.CA)
	h = h.time(st.FailureTime)
	if f := st.Fallback; f != nil {
		h = h.uint(1).string(string(f.Reason)).string(f.Message).time(f.RetryAt)
	} else {
		h = h.uint(0)
	}
	return uint64(h)
}

// viewHash is a running FNV-1a (64 bits) over length-prefixed fields.
type viewHash uint64

const (
	fnvOffset viewHash = 14695981039346656037
	fnvPrime  viewHash = 1099511628211
)

func (h viewHash) uint(v uint64) viewHash {
	for i := 0; i < 8; i++ {
		h ^= viewHash(byte(v >> (8 * i)))
		h *= fnvPrime
	}
	return h
}

func (h viewHash) string(s string) viewHash {
	h = h.uint(uint64(len(s)))
	for i := 0; i < len(s); i++ {
		h ^= viewHash(s[i])
		h *= fnvPrime
	}
	return h
}

func (h viewHash) bytes(b []byte) viewHash {
	h = h.uint(uint64(len(b)))
	for _, c := range b {
		h ^= viewHash(c)
		h *= fnvPrime
	}
	return h
}

// time hashes whether t is set and, if so, its instant (as JSON would
// tell two instants apart: to the nanosecond).
func (h viewHash) time(t *time.Time) viewHash {
	if t == nil {
		return h.uint(0)
	}
	return h.uint(1).uint(uint64(t.Unix())).uint(uint64(t.Nanosecond()))
}

// stringMap hashes m's size and the sum of its entries' own hashes, which
// does not depend on the order a map is walked in.
func (h viewHash) stringMap(m map[string]string) viewHash {
	var sum uint64
	for k, v := range m {
		sum += uint64(fnvOffset.string(k).string(v))
	}
	return h.uint(uint64(len(m))).uint(sum)
}
