package dnsname

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/idna"
)

// ErrInvalidName is wrapped by every error Normalize and ParseIdentifier
// return for a name that is not a usable DNS name.
var ErrInvalidName = errors.New("dnsname: invalid DNS name")

// MaxNameLen is the longest DNS name in octets, without its trailing dot
// (RFC 1035 §2.3.4): no certificate can name anything longer.
const MaxNameLen = 253

// maxLabelLen is the longest label (RFC 1035 §2.3.4).
const maxLabelLen = 63

// idnaProfile maps Unicode labels to A-labels like a lookup would, but
// leaves ASCII validation to validASCIILabel so that "_acme-challenge" and
// other underscore labels pass.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.StrictDomainName(false), idna.Transitional(false))

// Normalize returns the canonical form of a DNS name: lower case ASCII with
// Unicode labels converted to punycode A-labels, and a trailing dot. A
// leading "*" label (a wildcard) is kept. It rejects empty names, empty
// labels, labels over 63 octets, names over 253 octets and characters other
// than letters, digits, '-' and '_'. Normalize(Normalize(x)) == Normalize(x).
func Normalize(name string) (string, error) {
	n := strings.TrimSuffix(name, ".")
	if isCanonical(n) {
		if len(n) < len(name) {
			return name, nil
		}
		return n + ".", nil
	}
	return normalizeLabels(name, n)
}

// normalizeLabels is Normalize of name (n without its trailing dot) label
// by label: the way for names not already canonical.
func normalizeLabels(name, n string) (string, error) {
	if n == "" {
		return "", fmt.Errorf("%w: empty name", ErrInvalidName)
	}
	labels := strings.Split(n, ".")
	for i, l := range labels {
		if i == 0 && l == "*" {
			continue
		}
		a, err := toASCIILabel(l)
		if err != nil {
			return "", fmt.Errorf("%w: %q: %w", ErrInvalidName, name, err)
		}
		labels[i] = a
	}
	out := strings.Join(labels, ".")
	if len(out) > MaxNameLen {
		return "", fmt.Errorf("%w: %d octets, the limit is %d", ErrInvalidName, len(out), MaxNameLen)
	}
	return out + ".", nil
}

// toASCIILabel lower-cases an ASCII label, or maps a Unicode one to its
// A-label; either way the result is checked by the same ASCII rules, which
// is what makes Normalize idempotent.
func toASCIILabel(l string) (string, error) {
	if !isASCII(l) {
		a, err := idnaProfile.ToASCII(l)
		if err != nil {
			return "", errors.New("not a valid internationalised label")
		}
		l = a
	}
	l = strings.ToLower(l)
	if err := validASCIILabel(l); err != nil {
		return "", err
	}
	return l, nil
}

func validASCIILabel(l string) error {
	switch {
	case l == "":
		return errors.New("empty label")
	case len(l) > maxLabelLen:
		return fmt.Errorf("label of %d octets, the limit is %d", len(l), maxLabelLen)
	case l[0] == '-' || l[len(l)-1] == '-':
		return errors.New("label starts or ends with '-'")
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("character %q not allowed", c)
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Identifier is a normalised ACME DNS identifier.
type Identifier struct {
	// Name is lower case ASCII without "*." and without a trailing dot, as
	// ACME identifiers are written.
	Name string
	// Wildcard is true when the input was "*.<Name>".
	Wildcard bool
}

// String returns the identifier as written in a certificate: "*.name" for a wildcard.
func (id Identifier) String() string {
	if id.Wildcard {
		return "*." + id.Name
	}
	return id.Name
}

// ChallengeName returns the fully qualified _acme-challenge name
// (RFC 8555 §8.4), the same for a wildcard and its apex.
func (id Identifier) ChallengeName() string { return "_acme-challenge." + id.Name + "." }

// ParseIdentifier normalises a certificate DNS name ("*.example.com",
// "Bücher.example.", …) into an ACME identifier. A "*" anywhere but as the
// whole first label is rejected, as is a bare "*".
func ParseIdentifier(name string) (Identifier, error) {
	n, err := Normalize(name)
	if err != nil {
		return Identifier{}, err
	}
	n = strings.TrimSuffix(n, ".")
	if rest, ok := strings.CutPrefix(n, "*."); ok {
		return Identifier{Name: rest, Wildcard: true}, nil
	}
	if n == "*" {
		return Identifier{}, fmt.Errorf("%w: a wildcard needs a parent name", ErrInvalidName)
	}
	return Identifier{Name: n}, nil
}
