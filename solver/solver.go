package solver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/certflow/certflow/internal/dnsname"
)

// Type is a challenge type, spelled as cert-manager's Challenge resource spells it.
type Type string

// Challenge types.
const (
	HTTP01    Type = "HTTP-01"
	DNS01     Type = "DNS-01"
	TLSALPN01 Type = "TLS-ALPN-01"
)

// ACME returns the type as RFC 8555 spells it on the wire ("http-01", …).
func (t Type) ACME() string { return strings.ToLower(string(t)) }

// Challenge is what a Solver needs to know about one challenge.
type Challenge struct {
	Type Type
	// Identifier is the DNS name (without "*.") or IP address being validated.
	Identifier string
	Wildcard   bool
	Token      string
	// KeyAuthorization is token.thumbprint (RFC 8555 §8.1).
	KeyAuthorization string
	// ResolvedFQDN is, for DNS-01, the owner name the TXT record is written at
	// after following CNAMEs from DNS01Name. If empty, DNS01Name is used.
	ResolvedFQDN string
	// Namespace and Name identify the Challenge object, for logs and locks.
	Namespace, Name string
}

// DNS01Name is the fully qualified _acme-challenge name (RFC 8555 §8.4).
func (c Challenge) DNS01Name() string {
	return "_acme-challenge." + dnsname.Fold(c.Identifier) + "."
}

// RecordName is the name a DNS-01 solver writes: ResolvedFQDN, else DNS01Name.
func (c Challenge) RecordName() string {
	if c.ResolvedFQDN != "" {
		return c.ResolvedFQDN
	}
	return c.DNS01Name()
}

// DNS01Value is the TXT value: base64url(SHA-256(key authorization)).
func (c Challenge) DNS01Value() string {
	sum := sha256.Sum256([]byte(c.KeyAuthorization))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Solver makes a challenge answerable and removes the answer afterwards.
//
// Present MUST make the challenge answerable (or return an error), SHOULD
// return quickly, and MUST honour ctx. It is called again after a crash, so
// presenting an already presented challenge MUST succeed. Two challenges with
// the same record name (a wildcard and its apex) MUST coexist.
//
// CleanUp MUST remove only what Present of the same challenge added, MUST
// work even if Present failed or never ran, and MUST honour ctx.
type Solver interface {
	Present(ctx context.Context, ch Challenge) error
	CleanUp(ctx context.Context, ch Challenge) error
}

// Checker is an optional ability: a self-check that returns nil once the CA
// would see the presented answer (for DNS-01: every authoritative nameserver
// serves the TXT value). It is called repeatedly until it passes or the
// challenge's deadline expires, so each call SHOULD be one bounded attempt.
type Checker interface {
	Check(ctx context.Context, ch Challenge) error
}

// RecordNamer is an optional ability of DNS-01 solvers that may write
// somewhere other than DNS01Name (following a CNAME): it says where. The
// challenge reconciler stores the answer before Present and hands it back as
// ResolvedFQDN ever after, so CleanUp removes the record where Present
// wrote it even if the CNAME changed or vanished meanwhile.
type RecordNamer interface {
	RecordName(ctx context.Context, ch Challenge) (string, error)
}
