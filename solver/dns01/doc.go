// Package dns01 checks DNS-01 challenge records the way a CA will see them:
// it finds the zone of a name by walking SOA records up its labels, asks
// every authoritative nameserver of that zone directly (no recursion, UDP
// with TCP fallback), follows CNAMEs into other zones, and says which
// nameserver answered what when the record is not there yet.
//
// It also normalises DNS names (case, trailing dot, IDN to punycode,
// wildcards) for the rest of certflow.
//
// Resolvers must be configured explicitly; the system resolver and public
// resolvers are never used behind the caller's back.
package dns01
