// Package issuer holds the Issuer and ClusterIssuer resources: their
// validation, their reconciler (a pure decide over a Snapshot that verifies
// a CA key pair, or creates an ACME account key and asks for the account's
// registration as the plan's effect, and sets the Ready condition), the Signer that signs
// CertificateRequests for SelfSigned and CA issuers, and the cache of ready
// ACME clients that the order reconciler uses.
//
// It sits beside the resource chain: certificate, request and order import
// it; it never imports them.
package issuer
