package issuer

import "net/http"

// maxNonceLen is the longest Replay-Nonce kept. RFC 8555 §6.5.1 sets no
// limit, but nonces are base64url of a few dozen bytes (Pebble's 22,
// Let's Encrypt's about 40); 512 leaves room for any CA seen.
const maxNonceLen = 512

// boundNonces drops a Replay-Nonce longer than maxNonceLen from every
// answer. Both nonce pools keep what the CA sends (x/crypto/acme's up to
// 100 per client, acmepost's 32 per CA), and the transport reads headers of
// up to 10 MiB: a CA sending huge nonces would make each slot hold that
// much. Without one the client asks newNonce for another, and requests to
// a CA that only sends huge ones fail for want of a nonce.
type boundNonces struct{ base http.RoundTripper }

func (b boundNonces) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := b.base.RoundTrip(req)
	if res == nil {
		return res, err
	}
	for _, v := range res.Header.Values("Replay-Nonce") {
		if len(v) > maxNonceLen {
			res.Header.Del("Replay-Nonce")
			break
		}
	}
	return res, err
}
