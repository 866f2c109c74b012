package certflow

import (
	"iter"
	"slices"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// listedRefs answers whether a ref was listed, for the sweep: the list's
// items in ref order, by index. A map of the refs held 143 MB, with the
// owners, at 100k certificates (800k objects) through the sweep; this
// holds 4 bytes an object beside the list it points into.
type listedRefs struct {
	items []store.Raw
	order []int32 // indexes into items, sorted by store.CompareRefs
}

func newListedRefs(items []store.Raw) listedRefs {
	order := make([]int32, len(items))
	for i := range order {
		order[i] = int32(i)
	}
	// Every Store lists in this order (List's contract): the sort mostly
	// confirms it, and keeps a Store that breaks it from hiding owners.
	slices.SortFunc(order, func(a, b int32) int { return store.CompareRefs(items[a].Ref, items[b].Ref) })
	return listedRefs{items: items, order: order}
}

// has reports whether ref was listed.
func (l listedRefs) has(ref meta.Ref) bool {
	_, found := slices.BinarySearchFunc(l.order, ref, func(i int32, r meta.Ref) int { return store.CompareRefs(l.items[i].Ref, r) })
	return found
}

// listedItems yields the refs of items.
func listedItems(items []store.Raw) iter.Seq[meta.Ref] {
	return func(yield func(meta.Ref) bool) {
		for _, raw := range items {
			if !yield(raw.Ref) {
				return
			}
		}
	}
}

// listedOwners yields the ref of each of items that has owners, with
// them (owners[i] are items[i]'s).
func listedOwners(items []store.Raw, owners [][]meta.Ref) iter.Seq2[meta.Ref, []meta.Ref] {
	return func(yield func(meta.Ref, []meta.Ref) bool) {
		for i, raw := range items {
			if len(owners[i]) > 0 && !yield(raw.Ref, owners[i]) {
				return
			}
		}
	}
}
