// Package certificate owns the Certificate resource: its validation, the
// decision of when to issue (policy.go, a pure function over a snapshot), the
// renewal time and failure backoff, key generation and rotation, and the
// reconciler that creates CertificateRequests and writes the Secret.
package certificate
