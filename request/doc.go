// Package request owns the CertificateRequest resource: validation (as
// cert-manager's webhook), approval through an Approver, then signing by a
// SelfSigned or CA issuer directly, or through an ACME Order that the request
// creates and watches. A signed certificate is checked against the CSR (key
// and names) before the request shows Ready (Issued).
//
// The reconciler loads a Snapshot (the request, its issuer, its Order, now),
// decides a reconcile.Plan with a pure function (decide) and has
// reconcile.Execute apply it; asking the Approver and signing are the plan's
// effects.
package request
