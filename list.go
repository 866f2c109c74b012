package certflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// ErrUnknownKind is returned by List for a kind certflow does not store.
var ErrUnknownKind = errors.New("certflow: unknown kind")

// ListOptions narrows what List returns. The zero value lists every object
// of the kind.
type ListOptions struct {
	// Namespace keeps the objects of one namespace. If empty, every
	// namespace. Ignored for cluster-scoped kinds.
	Namespace string
	// Labels keeps the objects that carry every one of these labels with
	// the same value (kubectl's `-l a=b,c=d`). If empty, no label is needed.
	Labels map[string]string
}

// List returns the stored objects of kind that opts selects, sorted by
// namespace and name, each as its kind's Go type (*certificate.Certificate
// for meta.KindCertificate, and so on). It reads the Store only, so it
// works without Run and sees what every process sharing the Store wrote.
//
// An object that cannot be decoded does not hide the others: List returns
// every readable object together with an error matching store.ErrCorrupt
// that names each unreadable one (errors.As finds *store.CorruptError).
func (m *Manager) List(ctx context.Context, kind meta.Kind, opts ListOptions) ([]meta.Object, error) {
	if _, err := newObject(kind); err != nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownKind, kind)
	}
	ns := opts.Namespace
	if kind.ClusterScoped() {
		ns = ""
	}
	res, err := m.cfg.Store.List(ctx, store.ListOptions{Kind: kind, Namespace: ns, Labels: opts.Labels})
	if err != nil && !errors.Is(err, store.ErrCorrupt) {
		return nil, fmt.Errorf("certflow: list %s: %w", kind, err)
	}
	errs := []error{err}
	out := make([]meta.Object, 0, len(res.Items))
	for _, raw := range res.Items {
		obj, _ := newObject(kind)
		if derr := raw.Decode(obj); derr != nil {
			errs = append(errs, derr)
			continue
		}
		out = append(out, obj)
	}
	return out, errors.Join(errs...)
}
