package acmeproto

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/crypto/acme"
)

// ProblemRejectedIdentifier is the CA's refusal to issue for an identifier
// (RFC 8555 §6.7); ProblemUnsupportedIdentifier its refusal of an
// identifier type.
const (
	ProblemRejectedIdentifier    = "urn:ietf:params:acme:error:rejectedIdentifier"
	ProblemUnsupportedIdentifier = "urn:ietf:params:acme:error:unsupportedIdentifier"
)

// ErrIPRejected means the CA refused an order holding IP address
// identifiers (RFC 8738). Let's Encrypt, for one, issues IP-address
// certificates only in its "shortlived" profile. An *IPRejectedError
// carries the details.
var ErrIPRejected = errors.New("acmeproto: the CA refused the order's IP address identifiers")

// IPRejectedError is the CA refusing, with rejectedIdentifier or
// unsupportedIdentifier, an order that holds IP addresses.
type IPRejectedError struct {
	// IPs are the order's IP address identifiers.
	IPs []string
	// Profile is the ACME profile the order named; empty for none.
	Profile string
	// Err is the CA's answer, an *acme.Error.
	Err error
}

func (e *IPRejectedError) Error() string {
	return e.hint() + ": " + e.Err.Error()
}

// hint says why and what to do, without the CA's words.
func (e *IPRejectedError) hint() string {
	profile := "no profile"
	if e.Profile != "" {
		profile = fmt.Sprintf("profile %q", e.Profile)
	}
	return fmt.Sprintf("the CA refused an order for IP address %s with %s: IP-address certificates need a profile "+
		"that allows them (at Let's Encrypt only \"shortlived\"); set the Issuer's spec.acme.profile or the Certificate's "+
		"acme.certflow.io/profile annotation", strings.Join(e.IPs, ", "), profile)
}

// Unwrap makes errors.Is(err, ErrIPRejected) hold and reaches the CA's
// *acme.Error.
func (e *IPRejectedError) Unwrap() []error { return []error{ErrIPRejected, e.Err} }

// ExplainIPRejection returns err as an *IPRejectedError when it is the CA
// refusing an identifier (rejectedIdentifier, unsupportedIdentifier) of an
// order ids that holds IP addresses, naming profile; else err unchanged.
func ExplainIPRejection(err error, ids []acme.AuthzID, profile string) error {
	var ae *acme.Error
	if !errors.As(err, &ae) || (ae.ProblemType != ProblemRejectedIdentifier && ae.ProblemType != ProblemUnsupportedIdentifier) {
		return err
	}
	var ips []string
	for _, id := range ids {
		if _, perr := netip.ParseAddr(id.Value); id.Type == "ip" && perr == nil {
			ips = append(ips, id.Value)
		}
	}
	if len(ips) == 0 {
		return err
	}
	return &IPRejectedError{IPs: ips, Profile: profile, Err: err}
}
