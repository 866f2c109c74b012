package serve

import "errors"

// Errors callers branch on with errors.Is. Returned errors wrap them with the
// operation and, where it is not secret, the offending name or object.
var (
	// ErrInvalidSecret means a Secret's tls.crt/tls.key could not be used:
	// missing, unparsable, or a key that does not match the leaf.
	ErrInvalidSecret = errors.New("serve: invalid secret")
	// ErrInvalidChallenge means a Challenge lacks what serving it needs
	// (identifier, key authorization, a well-formed token).
	ErrInvalidChallenge = errors.New("serve: invalid challenge")
	// ErrUnknownName means no certificate covers the requested server name.
	ErrUnknownName = errors.New("serve: no certificate for server name")
	// ErrNoServerName means the hello carried no SNI, no DefaultName is
	// configured and no certificate covers the connection's local IP address.
	ErrNoServerName = errors.New("serve: no server name in client hello and no default")
	// ErrNoChallenge means an "acme-tls/1" hello arrived for a name with no
	// pending TLS-ALPN-01 challenge. The normal certificate is never served
	// to such a hello (RFC 8737 §3).
	ErrNoChallenge = errors.New("serve: no pending tls-alpn-01 challenge for server name")
)
