// Package solver defines how an ACME challenge is solved: the small Solver
// interface (Present, CleanUp) with optional abilities discovered by type
// assertion, the issuer-side solver configuration as cert-manager spells it,
// and the selection of one solver per identifier.
//
// Implementations live in subpackages (dns01 checks, rfc2136, route53,
// libdnssolver) so that importing certflow does not drag every provider's SDK
// into a program's build.
package solver
