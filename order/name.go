package order

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
)

// Name returns the deterministic name of the Order for a request with this
// spec: "<request>-<first 10 hex digits of SHA-256 of the request's UID and
// the spec's JSON>". A retried request step finds the Order it created
// before instead of making a twin; a changed spec, or a request re-created
// under the same name (a retry after a failure, whose CSR may be
// byte-identical because RSA and Ed25519 signatures are deterministic), gets
// a new Order.
//
// The JSON is hashed as it is encoded (json.Marshal's bytes, without a
// copy of them or of the CSR they hold), or by hand when every string is
// plain (appendSpecJSON): a request's visits name its Order on every look.
func Name(requestName, requestUID string, spec Spec) string {
	// Room for a UID and the spec of an ECDSA or RSA-2048 CSR: the name
	// is then hashed from the stack.
	var buf [2048]byte
	b := append(append(buf[:0], requestUID...), 0)
	var sum [sha256.Size]byte
	if b, ok := appendSpecJSON(b, &spec); ok {
		sum = sha256.Sum256(b)
	} else {
		h := sha256.New()
		h.Write(b)
		// Spec holds only strings, byte slices and a Duration, which
		// always encode; an error would leave the hash of the UID alone,
		// as nil JSON did before.
		_ = json.NewEncoder(jsonHasher{h}).Encode(spec)
		h.Sum(sum[:0])
	}
	return requestName + "-" + hex.EncodeToString(sum[:5])
}

// jsonHasher hashes what a json.Encoder writes, but for the newline it
// ends each value with: Encode writes a value and its newline in one call,
// so the bytes hashed are json.Marshal's.
type jsonHasher struct{ h hash.Hash }

func (w jsonHasher) Write(b []byte) (int, error) {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		w.h.Write(b[:n-1])
	} else {
		w.h.Write(b)
	}
	return len(b), nil
}

// challengeName is "<order>-<hash of authorization URL and challenge type>".
func challengeName(orderName, authzURL, acmeType string) string {
	return orderName + "-" + shortHash([]byte(authzURL+"\x00"+acmeType))
}

func shortHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:5])
}
