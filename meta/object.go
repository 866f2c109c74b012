package meta

import "time"

// Kind names a resource type, spelled as cert-manager spells it.
type Kind string

// The kinds certflow persists.
const (
	KindIssuer             Kind = "Issuer"
	KindClusterIssuer      Kind = "ClusterIssuer"
	KindCertificate        Kind = "Certificate"
	KindCertificateRequest Kind = "CertificateRequest"
	KindOrder              Kind = "Order"
	KindChallenge          Kind = "Challenge"
	KindSecret             Kind = "Secret"
	// KindEvent is something that happened to another object, stored so
	// that every process sharing the Store sees it (see Event).
	KindEvent Kind = "Event"
)

// API versions written into manifests, as cert-manager spells them.
const (
	APIVersionCertManager = "cert-manager.io/v1"
	APIVersionACME        = "acme.cert-manager.io/v1"
	APIVersionCore        = "v1"
)

// ClusterScoped reports whether objects of kind k have no namespace.
func (k Kind) ClusterScoped() bool { return k == KindClusterIssuer }

// APIVersion returns the apiVersion that manifests of kind k carry.
func (k Kind) APIVersion() string {
	switch k {
	case KindOrder, KindChallenge:
		return APIVersionACME
	case KindSecret, KindEvent:
		return APIVersionCore
	case KindIssuer, KindClusterIssuer, KindCertificate, KindCertificateRequest:
		return APIVersionCertManager
	}
	return ""
}

// TypeMeta is the apiVersion/kind header of a manifest.
type TypeMeta struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       Kind   `json:"kind,omitempty"`
}

// ObjectMeta is the metadata every persisted object carries. The Store sets UID,
// ResourceVersion and CreationTime; the Manager bumps Generation on spec change.
type ObjectMeta struct {
	// Namespace is empty for cluster-scoped kinds.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	UID       string `json:"uid,omitempty"`
	// ResourceVersion is opaque to callers; an Update whose ResourceVersion is
	// not the stored one fails with store.ErrConflict.
	ResourceVersion string            `json:"resourceVersion,omitempty"`
	Generation      int64             `json:"generation,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	OwnerRefs       []Ref             `json:"ownerReferences,omitempty"`
	CreationTime    *time.Time        `json:"creationTimestamp,omitempty"`
	DeletionTime    *time.Time        `json:"deletionTimestamp,omitempty"`
}

// Object is anything the Store can persist: a JSON-encodable value with a kind
// and ObjectMeta. Implementations are pointer types.
type Object interface {
	GetKind() Kind
	GetMeta() *ObjectMeta
}

// Defaulter is implemented by kinds that fill in derived metadata (a
// label the reconcilers look them up by) before Manager.Apply stores them.
type Defaulter interface {
	Default()
}

// RefOf returns the reference that names o.
func RefOf(o Object) Ref {
	m := o.GetMeta()
	return Ref{Kind: o.GetKind(), Namespace: m.Namespace, Name: m.Name}
}

// IsOwnedBy reports whether m lists owner among its OwnerRefs.
func (m *ObjectMeta) IsOwnedBy(owner Ref) bool {
	for _, r := range m.OwnerRefs {
		if r == owner {
			return true
		}
	}
	return false
}
