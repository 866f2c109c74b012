package dns01

import "github.com/certflow/certflow/internal/dnsname"

// Names are normalised in one place, internal/dnsname; these keep dns01's
// public API.

// ErrInvalidName is wrapped by every error Normalize and ParseIdentifier
// return for a name that is not a usable DNS name.
var ErrInvalidName = dnsname.ErrInvalidName

// Identifier is a normalised ACME DNS identifier.
type Identifier = dnsname.Identifier

// Normalize returns the canonical form of a DNS name with a trailing dot
// (see dnsname.Normalize).
func Normalize(name string) (string, error) { return dnsname.Normalize(name) }

// ParseIdentifier normalises a certificate DNS name into an ACME identifier
// (see dnsname.ParseIdentifier).
func ParseIdentifier(name string) (Identifier, error) { return dnsname.ParseIdentifier(name) }
