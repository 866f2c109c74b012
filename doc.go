// Package certflow brings cert-manager's certificate automation into any Go
// program, without Kubernetes. Plain Go types model cert-manager's resources,
// and a Manager drives each one's state machine against a pluggable Store and
// pluggable Solvers until the certificate sits in its Secret, then renews it.
//
// The chain, in the order resources come to exist:
//
//	Issuer / ClusterIssuer          (issuer)       ACME account, CA key pair, or self-signed
//	        ▲ issuerRef
//	Certificate                     (certificate)  decides when to issue; owns the key
//	  ├── Secret                    (secret)       tls.crt, tls.key, ca.crt
//	  └── CertificateRequest        (request)      <cert>-<revision+1>: CSR, approval
//	        └── Order               (order)        ACME only: <request>-<hash>
//	              └── Challenge     (challenge)    one per pending authorization:
//	                                               present → self-check → accept → clean up
//
// Each arrow down is an owner reference; the Manager re-reconciles a parent
// whenever a child changes, and collects a child whose owner is gone — at
// start-up, when it sees the delete, and before it would reconcile the child
// — however the owner was deleted (a Certificate's Secret is kept, as
// cert-manager keeps it; a Challenge cleans up what it presented first).
// Status renders the same tree with conditions,
// states and recent events, so one call says which resource is stuck and why.
//
// Serving: put Manager.GetCertificate (or Manager.TLSConfig) in a tls.Config
// and mount Manager.HTTPHandler on port 80; every replica that shares the
// Store answers HTTP-01 and TLS-ALPN-01 challenges and serves the current
// certificates, swapped atomically on renewal.
package certflow
