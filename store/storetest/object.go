package storetest

import "github.com/certflow/certflow/meta"

// KindWidget is the namespaced kind the suite stores. Widgets of kind
// meta.KindClusterIssuer stand in for cluster-scoped objects.
const KindWidget meta.Kind = "Widget"

// Widget is the suite's test object: a kind, metadata and free data. Its
// zero value is an invalid object (no kind, no name).
type Widget struct {
	Kind     meta.Kind         `json:"kind"`
	Metadata meta.ObjectMeta   `json:"metadata"`
	Data     map[string]string `json:"data,omitempty"`
}

var _ meta.Object = (*Widget)(nil)

// GetKind returns w.Kind.
func (w *Widget) GetKind() meta.Kind { return w.Kind }

// GetMeta returns w's metadata.
func (w *Widget) GetMeta() *meta.ObjectMeta { return &w.Metadata }

// NewWidget returns a Widget named namespace/name with the given data.
func NewWidget(namespace, name string, data map[string]string) *Widget {
	return &Widget{Kind: KindWidget, Metadata: meta.ObjectMeta{Namespace: namespace, Name: name}, Data: data}
}

// Ref returns the reference naming w.
func (w *Widget) Ref() meta.Ref { return meta.RefOf(w) }
