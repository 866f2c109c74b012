// Package rfc2136 is a DNS-01 solver that writes TXT records with RFC 2136
// dynamic updates signed with TSIG (RFC 8945), as BIND, Knot, PowerDNS and
// Windows DNS accept them; it is cert-manager's rfc2136 provider.
//
// Present adds only its own value and CleanUp removes only its own value, so
// a wildcard and its apex (two values under one name) never clobber each
// other. Server refusals come back as typed errors (ErrBadKey,
// ErrBadSignature, ErrNotAuth, ErrRefused, ErrNotZone) inside *UpdateError.
// The TSIG secret never appears in an error.
package rfc2136
