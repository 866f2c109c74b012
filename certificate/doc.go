// Package certificate owns the Certificate resource: its validation, the
// decision of when and how to issue, key generation and rotation, and the
// reconciler that creates CertificateRequests and writes the Secret.
//
// A Reconcile loads a Snapshot (snapshot.go: the Certificate, its Secret,
// the current and next CertificateRequests, the next private key, the other
// Certificates naming the same Secret, now) and hands it to decide
// (decide.go), a pure function returning a reconcile.Plan that
// reconcile.Execute carries out. The decision follows cert-manager's split of
// its Certificate controllers, one file each:
//
//   - trigger.go: the issuance policy chain (cert-manager's
//     NewTriggerPolicyChain, in its order), with match.go's comparisons of
//     the spec with the request (not the leaf) and renewal.go's renewal time
//     and failure backoff;
//   - keymanager.go: the next private key, kept in a temporary Secret;
//   - requestmanager.go: one CertificateRequest per revision;
//   - issuing.go: the issued certificate checked and moved into the Secret;
//   - readiness.go: the Ready condition and its headline.
//
// Generating a key and signing a CSR are the two steps a decision cannot
// make: the plan carries the Secret or request without them and the
// reconciler fills them in just before executing it.
package certificate
