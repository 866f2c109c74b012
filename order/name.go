package order

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Name returns the deterministic name of the Order for a request with this
// spec: "<request>-<first 10 hex digits of SHA-256 of the spec's JSON>". A
// retried request step finds the Order it created before instead of making
// a twin; a changed spec gets a new Order.
func Name(requestName string, spec Spec) string {
	b, err := json.Marshal(spec)
	if err != nil {
		// Spec holds only strings, byte slices and a Duration, which always
		// encode; keep the name deterministic anyway.
		b = nil
	}
	return requestName + "-" + shortHash(b)
}

// challengeName is "<order>-<hash of authorization URL and challenge type>".
func challengeName(orderName, authzURL, acmeType string) string {
	return orderName + "-" + shortHash([]byte(authzURL+"\x00"+acmeType))
}

func shortHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:5])
}
