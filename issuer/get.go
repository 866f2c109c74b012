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
	var obj Object
	switch ref.Kind {
	case meta.KindIssuer:
		obj = &Issuer{}
	case meta.KindClusterIssuer:
		obj = &ClusterIssuer{}
	default:
		return nil, fmt.Errorf("issuer: get %s: %w: kind %q is not an issuer", ref, ErrUnsupported, ref.Kind)
	}
	if err := r.Get(ctx, ref, obj); err != nil {
		return nil, fmt.Errorf("issuer: get %s: %w", ref, err)
	}
	return obj, nil
}
