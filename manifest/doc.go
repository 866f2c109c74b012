// Package manifest reads and writes certflow objects as cert-manager
// manifests: YAML (one or many `---`-separated documents) or JSON, each
// document an object with apiVersion and kind, or a `kind: List` of them.
//
// Decode dispatches each document by apiVersion and kind to the typed struct
// of its package:
//
//	cert-manager.io/v1       Issuer, ClusterIssuer, Certificate, CertificateRequest
//	acme.cert-manager.io/v1  Order, Challenge
//	v1                       Secret (stringData is merged into data, as Kubernetes does)
//
// Decode accepts fields certflow does not know (cert-manager manifests carry
// many); DecodeStrict rejects them and names each one by its path. Both
// reject an issuerRef carrying a namespace: cert-manager's issuerRef has no
// such field (a Certificate uses an Issuer in its own namespace or a
// ClusterIssuer), and silently dropping it would point the Certificate at a
// different issuer than its author meant.
//
// Input is untrusted and decoding it costs about ten times its size in
// memory, so every decode has a size limit: DefaultMaxBytes (4 MiB) for
// Decode and DecodeStrict, MaxBytes for DecodeReader, which stops reading
// there. Longer input is refused unparsed with a *TooLargeError.
//
// Decode checks shape, not meaning; Validate checks both: it is Decode
// followed by each object's own validation (certificate.Validate,
// issuer.Validate, request.Validate), so one call finds everything a Manager
// would refuse. Every problem names its document, its field and the input
// line of that field, so a tool can point at it as a compiler would.
package manifest
