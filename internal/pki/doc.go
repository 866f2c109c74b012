// Package pki is the X.509 plumbing shared by the certificate reconciler and
// the issuers: key generation and encoding, CSRs, chains and key usages. It
// makes no decisions about when to issue.
package pki
