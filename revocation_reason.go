package certflow

import (
	"errors"
	"fmt"
	"strings"
)

// RevocationReason is an RFC 5280 §5.3.1 CRLReason code, the reason sent
// with a revocation (RFC 8555 §7.6). Let's Encrypt accepts only
// RevocationUnspecified, RevocationKeyCompromise,
// RevocationAffiliationChanged, RevocationSuperseded and
// RevocationCessationOfOperation from subscribers.
type RevocationReason int

// The RFC 5280 reason codes (7 is unused).
const (
	RevocationUnspecified          RevocationReason = 0
	RevocationKeyCompromise        RevocationReason = 1
	RevocationCACompromise         RevocationReason = 2
	RevocationAffiliationChanged   RevocationReason = 3
	RevocationSuperseded           RevocationReason = 4
	RevocationCessationOfOperation RevocationReason = 5
	RevocationCertificateHold      RevocationReason = 6
	RevocationRemoveFromCRL        RevocationReason = 8
	RevocationPrivilegeWithdrawn   RevocationReason = 9
	RevocationAACompromise         RevocationReason = 10
)

// name spells r as RFC 5280's ASN.1 does.
func (r RevocationReason) name() (string, bool) {
	switch r {
	case RevocationUnspecified:
		return "unspecified", true
	case RevocationKeyCompromise:
		return "keyCompromise", true
	case RevocationCACompromise:
		return "cACompromise", true
	case RevocationAffiliationChanged:
		return "affiliationChanged", true
	case RevocationSuperseded:
		return "superseded", true
	case RevocationCessationOfOperation:
		return "cessationOfOperation", true
	case RevocationCertificateHold:
		return "certificateHold", true
	case RevocationRemoveFromCRL:
		return "removeFromCRL", true
	case RevocationPrivilegeWithdrawn:
		return "privilegeWithdrawn", true
	case RevocationAACompromise:
		return "aACompromise", true
	}
	return "", false
}

// ErrBadRevocationReason means a reason is no RFC 5280 reason code, or the
// CA does not accept it (its badRevocationReason problem).
var ErrBadRevocationReason = errors.New("certflow: bad revocation reason")

// String returns RFC 5280's name of r (keyCompromise), or its number.
func (r RevocationReason) String() string {
	if s, ok := r.name(); ok {
		return s
	}
	return fmt.Sprintf("RevocationReason(%d)", int(r))
}

// Valid reports whether r is an RFC 5280 reason code.
func (r RevocationReason) Valid() bool {
	_, ok := r.name()
	return ok
}

// ParseRevocationReason reads a reason by its RFC 5280 name, in any case
// (keyCompromise, keycompromise), or by its number. Anything else is
// ErrBadRevocationReason.
func ParseRevocationReason(s string) (RevocationReason, error) {
	for r := RevocationUnspecified; r <= RevocationAACompromise; r++ {
		if name, ok := r.name(); ok && (strings.EqualFold(s, name) || s == fmt.Sprint(int(r))) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("%w: %q (one of unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, …)",
		ErrBadRevocationReason, s)
}
