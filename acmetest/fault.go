package acmetest

import (
	"fmt"
	"time"
)

// FaultKind says how acmetest answers a request that a Fault matches. The
// zero value is invalid.
type FaultKind int

// Fault kinds.
const (
	// FaultBadNonce answers 400 with an RFC 8555 problem document of type
	// urn:ietf:params:acme:error:badNonce and a fresh, valid Replay-Nonce, so
	// that a conforming client retries with it.
	FaultBadNonce FaultKind = iota + 1
	// FaultRateLimited answers 429 with a Retry-After header (whole seconds,
	// from Fault.RetryAfter) and a problem of type
	// urn:ietf:params:acme:error:rateLimited.
	FaultRateLimited
	// FaultServerInternal answers 500 with a problem of type
	// urn:ietf:params:acme:error:serverInternal.
	FaultServerInternal
	// FaultDelay waits Fault.Delay and then passes the request to Pebble. The
	// wait ends early when the client goes away or the Server closes.
	FaultDelay
	// FaultDropConnection closes the connection without answering.
	FaultDropConnection
	// FaultRejectedIdentifier answers 400 with a problem of type
	// urn:ietf:params:acme:error:rejectedIdentifier, as a CA whose policy
	// refuses a name does at newOrder (for good, unlike
	// WithDomainBlocklist, only for the requests the fault matches).
	FaultRejectedIdentifier
)

// String returns the kind's name as the constants spell it, without "Fault".
func (k FaultKind) String() string {
	switch k {
	case FaultBadNonce:
		return "BadNonce"
	case FaultRateLimited:
		return "RateLimited"
	case FaultServerInternal:
		return "ServerInternal"
	case FaultDelay:
		return "Delay"
	case FaultDropConnection:
		return "DropConnection"
	case FaultRejectedIdentifier:
		return "RejectedIdentifier"
	default:
		return fmt.Sprintf("FaultKind(%d)", int(k))
	}
}

// Fault makes acmetest answer chosen requests to an endpoint itself instead
// of passing them to Pebble. Requests are counted per endpoint from 1, in the
// order the server receives them; the count includes requests answered by a
// fault. When several faults match one request, the one added first wins.
type Fault struct {
	// Endpoint selects the requests. Required.
	Endpoint Endpoint
	// Nth is the 1-based number of the first request to Endpoint that the
	// fault applies to. Required (zero is invalid).
	Nth int
	// Repeat is how many consecutive requests, starting with the Nth, the
	// fault applies to. Zero means 1; a negative value means every request
	// from the Nth on.
	Repeat int
	// Kind says how to answer. Required.
	Kind FaultKind
	// RetryAfter is sent as the Retry-After header of FaultRateLimited,
	// rounded up to whole seconds. Zero sends "Retry-After: 0".
	RetryAfter time.Duration
	// Delay is how long FaultDelay waits before passing the request on. Zero
	// passes it on at once (the request is still counted as faulted).
	Delay time.Duration
}

// BadNonce returns a Fault answering the nth request to e with badNonce.
func BadNonce(e Endpoint, nth int) Fault {
	return Fault{Endpoint: e, Nth: nth, Kind: FaultBadNonce}
}

// RateLimited returns a Fault answering the nth request to e with 429 and
// the given Retry-After.
func RateLimited(e Endpoint, nth int, retryAfter time.Duration) Fault {
	return Fault{Endpoint: e, Nth: nth, Kind: FaultRateLimited, RetryAfter: retryAfter}
}

// ServerInternal returns a Fault answering the nth request to e with 500.
func ServerInternal(e Endpoint, nth int) Fault {
	return Fault{Endpoint: e, Nth: nth, Kind: FaultServerInternal}
}

// Delay returns a Fault delaying the nth request to e by d.
func Delay(e Endpoint, nth int, d time.Duration) Fault {
	return Fault{Endpoint: e, Nth: nth, Kind: FaultDelay, Delay: d}
}

// DropConnection returns a Fault closing the connection of the nth request
// to e without an answer.
func DropConnection(e Endpoint, nth int) Fault {
	return Fault{Endpoint: e, Nth: nth, Kind: FaultDropConnection}
}

// RejectedIdentifier returns a Fault answering the nth request to e with
// rejectedIdentifier.
func RejectedIdentifier(e Endpoint, nth int) Fault {
	return Fault{Endpoint: e, Nth: nth, Kind: FaultRejectedIdentifier}
}

// validate reports why f cannot be used, wrapping ErrInvalidOption.
func (f Fault) validate() error {
	switch {
	case f.Endpoint == "" || !f.Endpoint.valid():
		return fmt.Errorf("%w: fault endpoint %q unknown", ErrInvalidOption, f.Endpoint)
	case f.Nth < 1:
		return fmt.Errorf("%w: fault Nth %d < 1", ErrInvalidOption, f.Nth)
	case f.Kind < FaultBadNonce || f.Kind > FaultRejectedIdentifier:
		return fmt.Errorf("%w: fault kind %v unknown", ErrInvalidOption, f.Kind)
	case f.RetryAfter < 0 || f.Delay < 0:
		return fmt.Errorf("%w: fault durations must not be negative", ErrInvalidOption)
	}
	return nil
}

// matches reports whether f applies to the n-th request to e.
func (f Fault) matches(e Endpoint, n int) bool {
	if f.Endpoint != e || n < f.Nth {
		return false
	}
	switch {
	case f.Repeat < 0:
		return true
	case f.Repeat == 0:
		return n == f.Nth
	default:
		return n < f.Nth+f.Repeat
	}
}

// retryAfterSeconds rounds d up to whole seconds.
func retryAfterSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
