// Package dnsname is the one home of DNS name normalisation: the canonical
// form certificates, ACME identifiers and DNS queries use (Normalize,
// Canonical, ParseIdentifier, with IDNA and RFC 1035 limits), and the cheap
// case fold that comparisons and the TLS hot path use (Fold, Set, the
// allocation-free IsFolded and FoldInto, and HashFolded, EqualFolded and
// IndexDot, which hash, compare and split a name in any case without
// folding it first).
package dnsname
