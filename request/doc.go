// Package request owns the CertificateRequest resource: approval through an
// Approver, then signing by a SelfSigned or CA issuer directly, or through an
// ACME Order that the request creates and watches.
package request
