package rfc2136

import (
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalidConfig means the solver configuration is unusable.
	ErrInvalidConfig = errors.New("rfc2136: invalid configuration")
	// ErrUnsupportedAlgorithm means the TSIG algorithm is unknown or
	// refused (HMACMD5 is broken and refused on purpose).
	ErrUnsupportedAlgorithm = errors.New("rfc2136: unsupported TSIG algorithm")
	// ErrBadKey means the server does not know the TSIG key name, or knows
	// it with another algorithm (BADKEY).
	ErrBadKey = errors.New("rfc2136: TSIG key unknown to the server or of another algorithm (BADKEY)")
	// ErrBadSignature means the server rejected the signature: wrong secret
	// or algorithm (BADSIG).
	ErrBadSignature = errors.New("rfc2136: TSIG signature rejected, wrong secret or algorithm (BADSIG)")
	// ErrBadTime means the clocks differ by more than the TSIG fudge (BADTIME).
	ErrBadTime = errors.New("rfc2136: TSIG time outside the fudge window, check clocks (BADTIME)")
	// ErrNotAuth means the server is not authoritative for the zone (NOTAUTH
	// without a TSIG error): the zone is not served there.
	ErrNotAuth = errors.New("rfc2136: server not authoritative for the zone (NOTAUTH)")
	// ErrRefused means the server's policy refused the update (REFUSED):
	// unsigned, or a name or type outside the key's update-policy.
	ErrRefused = errors.New("rfc2136: update refused by server policy (REFUSED)")
	// ErrNotZone means the record name is outside the zone updated (NOTZONE).
	ErrNotZone = errors.New("rfc2136: record name outside the zone (NOTZONE)")
	// ErrUpdateFailed is any other error rcode (SERVFAIL, …), or a reply
	// whose own TSIG signature does not verify.
	ErrUpdateFailed = errors.New("rfc2136: update failed")
)

// UpdateError is a failed dynamic update.
type UpdateError struct {
	Op     string // "present" or "cleanup"
	Name   string // record owner name
	Zone   string // zone updated
	Server string // nameserver address
	// Rcode is the reply's rcode, or -1 when no reply arrived.
	Rcode int
	// TSIGError is the error field of the reply's TSIG record (16 BADSIG,
	// 17 BADKEY, 18 BADTIME), 0 when none.
	TSIGError uint16
	// Err is one of the sentinels above, or nil for a transport error.
	Err error
	// Cause is the transport or verification error from the DNS client, if any.
	Cause error
}

func (e *UpdateError) Error() string {
	what := ""
	switch {
	case e.Rcode < 0:
		what = "no reply"
	case e.TSIGError != 0:
		what = fmt.Sprintf("%s (TSIG %s)", dns.RcodeToString[e.Rcode], rcodeName(int(e.TSIGError)))
	default:
		what = dns.RcodeToString[e.Rcode]
	}
	msg := fmt.Sprintf("rfc2136: %s %s in zone %s at %s: %s", e.Op, e.Name, e.Zone, e.Server, what)
	if e.Err != nil {
		msg += ": " + strings.TrimPrefix(e.Err.Error(), "rfc2136: ")
	}
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Unwrap returns the sentinel and the client's error.
func (e *UpdateError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Err, e.Cause} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprint(rc)
}

// classify turns a reply (and the client's error) into nil or a sentinel.
// miekg/dns reports every NOTAUTH as dns.ErrAuth and fails verification of
// the server's unsigned error replies, so the TSIG error field of the reply
// is what tells a bad key from a bad signature from an unserved zone.
func classify(reply *dns.Msg, clientErr error) (sentinel error, tsigErr uint16) {
	if t := reply.IsTsig(); t != nil {
		tsigErr = t.Error
	}
	switch tsigErr {
	case 0:
	case dns.RcodeBadKey:
		return ErrBadKey, tsigErr
	case dns.RcodeBadSig:
		return ErrBadSignature, tsigErr
	case dns.RcodeBadTime:
		return ErrBadTime, tsigErr
	default:
		return ErrUpdateFailed, tsigErr
	}
	switch reply.Rcode {
	case dns.RcodeSuccess:
		if clientErr != nil {
			return ErrUpdateFailed, 0 // the reply's signature did not verify
		}
		return nil, 0
	case dns.RcodeNotAuth:
		return ErrNotAuth, 0
	case dns.RcodeRefused:
		return ErrRefused, 0
	case dns.RcodeNotZone:
		return ErrNotZone, 0
	default:
		return ErrUpdateFailed, 0
	}
}
