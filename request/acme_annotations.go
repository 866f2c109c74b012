package request

// Annotations that carry ACME order options from a Certificate to the
// Order of its request. cert-manager v1.21.1 has no per-Certificate profile
// and resolves replaces in its request controller; certflow decides both
// where the Certificate is decided and passes them on as data.
const (
	// AnnotationACMEProfile on a Certificate (set by the user) or a
	// CertificateRequest names the ACME profile (the directory's
	// meta.profiles) to order; it overrides the issuer's profile.
	AnnotationACMEProfile = "acme.certflow.io/profile"
	// AnnotationACMEReplaces on a CertificateRequest is the ARI CertID (RFC
	// 9773 §4.1) of the certificate the request renews, sent as newOrder's
	// replaces.
	AnnotationACMEReplaces = "acme.certflow.io/replaces"
)
