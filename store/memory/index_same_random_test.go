package memory

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Updates that keep, reorder, swap or change labels and owners in one
// field at a time (kind, namespace or name of one owner; a label's key or
// value), leave the index as a fresh scan finds the objects: List by each
// label and each owner gives exactly the objects whose stored metadata
// matches. Updates that change neither skip refiling (sameIndexed); the
// rest must refile.
func TestSameIndexed_RandomUpdatesKeepIndexExact(t *testing.T) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	s := New()
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	labels := func() map[string]string {
		m := map[string]string{}
		for range r.IntN(4) {
			m[pick("a", "b", "app", "3f2504e0-4f89-11d3-9a0c-0305e82c3301")] = pick("", "a", "b", "web", "default")
		}
		if len(m) == 0 && r.IntN(2) == 0 {
			return nil
		}
		return m
	}
	owner := func() meta.Ref {
		return meta.Ref{Kind: meta.Kind(pick("Certificate", "Order", "ns")), Namespace: pick("ns", "other", ""), Name: pick("a", "b", "ns")}
	}
	owners := func() []meta.Ref {
		var o []meta.Ref
		for range r.IntN(3) {
			o = append(o, owner())
		}
		return o
	}
	const n = 6
	objs := make([]*advObject[advPlain], n)
	for i := range objs {
		objs[i] = &advObject[advPlain]{Kind: "AdvPlain", Metadata: meta.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("o%d", i),
			Labels: labels(), OwnerRefs: owners()}}
		require.NoError(t, s.Create(ctx, objs[i]))
	}
	check := func() {
		all, err := s.List(ctx, store.ListOptions{Kind: "AdvPlain"})
		require.NoError(t, err)
		require.Len(t, all.Items, n)
		stored := map[meta.Ref]meta.ObjectMeta{}
		for _, o := range objs {
			got := &advObject[advPlain]{}
			require.NoError(t, s.Get(ctx, meta.RefOf(o), got))
			stored[meta.RefOf(o)] = got.Metadata
		}
		scan := func(opts store.ListOptions) []string {
			var names []string
			for ref, m := range stored {
				if opts.Matches(ref, &m) {
					names = append(names, ref.Name)
				}
			}
			slices.Sort(names)
			return names
		}
		listed := func(opts store.ListOptions) []string {
			res, err := s.List(ctx, opts)
			require.NoError(t, err)
			var names []string
			for _, it := range res.Items {
				names = append(names, it.Ref.Name)
			}
			slices.Sort(names)
			return names
		}
		for _, k := range []string{"a", "b", "app", "web", "default", "", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"} {
			for _, v := range []string{"", "a", "b", "web", "default", "app", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"} {
				opts := store.ListOptions{Kind: "AdvPlain", Labels: map[string]string{k: v}}
				require.Equal(t, scan(opts), listed(opts), "label %q=%q", k, v)
			}
		}
		for _, kind := range []string{"Certificate", "Order", "ns"} {
			for _, ns := range []string{"ns", "other", ""} {
				for _, name := range []string{"a", "b", "ns"} {
					ref := meta.Ref{Kind: meta.Kind(kind), Namespace: ns, Name: name}
					opts := store.ListOptions{Kind: "AdvPlain", Owner: &ref}
					require.Equal(t, scan(opts), listed(opts), "owner %v", ref)
				}
			}
		}
	}
	for range 300 {
		o := objs[r.IntN(n)]
		m := &o.Metadata
		switch r.IntN(7) {
		case 0: // nothing indexed changes
			o.Spec.S = pick("x", "y")
		case 1: // the same labels, a new map
			m.Labels = maps.Clone(m.Labels)
		case 2:
			m.Labels = labels()
		case 3: // owners reordered
			slices.Reverse(m.OwnerRefs)
		case 4: // one field of one owner
			if len(m.OwnerRefs) > 0 {
				i := r.IntN(len(m.OwnerRefs))
				switch r.IntN(3) {
				case 0:
					m.OwnerRefs[i].Kind = meta.Kind(pick("Certificate", "Order", "ns"))
				case 1:
					m.OwnerRefs[i].Namespace = pick("ns", "other", "")
				default:
					m.OwnerRefs[i].Name = pick("a", "b", "ns")
				}
			}
		case 5:
			m.OwnerRefs = owners()
		case 6: // a label's key and value swapped
			for k, v := range m.Labels {
				delete(m.Labels, k)
				m.Labels[v] = k
				break
			}
		}
		require.NoError(t, s.Update(ctx, o))
		check() // a later refile would hide a skipped one
	}
}
