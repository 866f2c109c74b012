package order

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Name returns the deterministic name of the Order for a request with this
// spec: "<request>-<first 10 hex digits of SHA-256 of the request's UID and
// the spec's JSON>". A retried request step finds the Order it created
// before instead of making a twin; a changed spec, or a request re-created
// under the same name (a retry after a failure, whose CSR may be
// byte-identical because RSA and Ed25519 signatures are deterministic), gets
// a new Order.
func Name(requestName, requestUID string, spec Spec) string {
	b, err := json.Marshal(spec)
	if err != nil {
		// Spec holds only strings, byte slices and a Duration, which always
		// encode; keep the name deterministic anyway.
		b = nil
	}
	return requestName + "-" + shortHash(append([]byte(requestUID+"\x00"), b...))
}

// challengeName is "<order>-<hash of authorization URL and challenge type>".
func challengeName(orderName, authzURL, acmeType string) string {
	return orderName + "-" + shortHash([]byte(authzURL+"\x00"+acmeType))
}

func shortHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:5])
}
