package issuer

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Get loads the Issuer or ClusterIssuer named ref (by ref.Kind). A missing
// object is store.ErrNotFound (wrapped); any other kind is ErrUnsupported.
func Get(ctx context.Context, r store.Reader, ref meta.Ref) (Object, error) {
	obj, ok := emptyObject(ref.Kind)
	if !ok {
		return nil, fmt.Errorf("issuer: get %s: %w: kind %q is not an issuer", ref, ErrUnsupported, ref.Kind)
	}
	if err := r.Get(ctx, ref, obj); err != nil {
		return nil, fmt.Errorf("issuer: get %s: %w", ref, err)
	}
	return obj, nil
}

// emptyObject returns a new object of issuer kind k, into which a Store
// decodes one.
func emptyObject(k meta.Kind) (Object, bool) {
	switch k {
	case meta.KindIssuer:
		return &Issuer{}, true
	case meta.KindClusterIssuer:
		return &ClusterIssuer{}, true
	}
	return nil, false
}
