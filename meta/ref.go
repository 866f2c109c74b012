package meta

import "strings"

// Ref names one object. It is comparable and used as a map and queue key.
type Ref struct {
	Kind      Kind   `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String renders the reference as Kind/namespace/name (Kind/name when cluster scoped).
func (r Ref) String() string {
	// Sized first: grown by its writes, the builder allocated two or three
	// times for one string (refs name slots, claims and errors per visit).
	var b strings.Builder
	b.Grow(len(r.Kind) + len(r.Namespace) + len(r.Name) + 2)
	b.WriteString(string(r.Kind))
	b.WriteByte('/')
	if r.Namespace != "" {
		b.WriteString(r.Namespace)
		b.WriteByte('/')
	}
	b.WriteString(r.Name)
	return b.String()
}

// LocalRef names an object in the same namespace as the object holding it,
// like a Secret reference in cert-manager's API.
type LocalRef struct {
	Name string `json:"name"`
	// Key selects one entry of a Secret's data. If empty, the consumer's
	// documented default key is used.
	Key string `json:"key,omitempty"`
}

// IssuerRef points a Certificate, CertificateRequest or Order at its issuer,
// as cert-manager's ObjectReference does.
type IssuerRef struct {
	Name string `json:"name"`
	// Kind is Issuer or ClusterIssuer. If empty, Issuer is used.
	Kind Kind `json:"kind,omitempty"`
	// Group is accepted for compatibility; only cert-manager.io (or empty) is served.
	Group string `json:"group,omitempty"`
}

// Resolve returns the Ref of the issuer for an object in namespace ns.
func (r IssuerRef) Resolve(ns string) Ref {
	kind := r.Kind
	if kind == "" {
		kind = KindIssuer
	}
	if kind == KindClusterIssuer {
		ns = ""
	}
	return Ref{Kind: kind, Namespace: ns, Name: r.Name}
}
