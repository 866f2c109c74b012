package issuer

import (
	"errors"
	"strings"

	"github.com/certflow/certflow/reconcile"
)

// Errors callers branch on, tested with errors.Is. Terminal errors also match
// reconcile.ErrTerminal; every other error is worth retrying later.
var (
	// ErrNotReady means the issuer cannot sign yet (its Secret is missing or
	// holds an unusable key pair, its ACME account is not registered):
	// retry later.
	ErrNotReady = errors.New("issuer: not ready")
	// ErrInvalidKeyPair means a Secret's certificate and key are unusable
	// (unparsable, not a CA, key does not match, expired). It comes with
	// ErrNotReady: fixing the Secret fixes the issuer.
	ErrInvalidKeyPair = errors.New("issuer: invalid key pair")
	// ErrKeyMismatch means a SelfSigned request's CSR was not made with the
	// private key named in the request. It comes with reconcile.ErrTerminal.
	ErrKeyMismatch = errors.New("issuer: CSR public key does not match the private key Secret")
	// ErrUnsupported means the issuer cannot sign this request at all (an ACME
	// issuer, an invalid spec, a malformed CSR or usage). It comes with
	// reconcile.ErrTerminal.
	ErrUnsupported = errors.New("issuer: cannot sign request")
	// ErrInvalidConfig is matched by every *ValidationError.
	ErrInvalidConfig = errors.New("issuer: invalid config")
)

// FieldError is one problem found by Validate.
type FieldError struct {
	// Field is the JSON path of the offending field, e.g. "spec.acme.server".
	Field string
	// Msg says what is wrong, without secret values.
	Msg string
}

// String renders "field: msg".
func (e FieldError) String() string { return e.Field + ": " + e.Msg }

// ValidationError lists every problem of a Spec. It matches ErrInvalidConfig
// and reconcile.ErrTerminal: a spec does not fix itself.
type ValidationError struct {
	Problems []FieldError
}

// Error joins the problems with "; ".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "issuer: invalid config: " + strings.Join(parts, "; ")
}

// Unwrap makes the error match ErrInvalidConfig and reconcile.ErrTerminal.
func (e *ValidationError) Unwrap() []error {
	return []error{ErrInvalidConfig, reconcile.ErrTerminal}
}
