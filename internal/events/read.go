package events

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// For returns the events of obj that happened within maxAge before now,
// least recent first. Events that cannot be read are left out.
func For(ctx context.Context, r store.Reader, obj meta.Ref, clusterNamespace string, maxAge time.Duration, now time.Time) ([]meta.Event, error) {
	evs, err := list(ctx, r, obj, clusterNamespace)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(evs, compare)
	out := make([]meta.Event, 0, len(evs))
	cutoff := now.Add(-maxAge)
	for _, e := range evs {
		if !e.Time.Before(cutoff) {
			out = append(out, *e)
		}
	}
	return out, nil
}

// list reads obj's stored events, skipping unreadable ones. An Event is
// owned by its involved object, so the owner selects them.
func list(ctx context.Context, r store.Reader, obj meta.Ref, clusterNamespace string) ([]*meta.Event, error) {
	res, err := r.List(ctx, store.ListOptions{Kind: meta.KindEvent, Namespace: namespace(obj, clusterNamespace),
		Owner: &obj})
	if err != nil && !errors.Is(err, store.ErrCorrupt) {
		return nil, err
	}
	out := make([]*meta.Event, 0, len(res.Items))
	for _, raw := range res.Items {
		e := &meta.Event{}
		if raw.Decode(e) == nil && e.Object == obj {
			out = append(out, e)
		}
	}
	return out, nil
}

// compare orders events by when they last happened, then first happened,
// then by name, so equal times still sort the same way everywhere.
func compare(a, b *meta.Event) int {
	return cmp.Or(a.Time.Compare(b.Time), a.FirstTime.Compare(b.FirstTime),
		cmp.Compare(a.ObjectMeta.Name, b.ObjectMeta.Name))
}
