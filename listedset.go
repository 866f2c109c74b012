package certflow

import (
	"slices"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// listedSet holds the listed objects listedReads answers with, in ref
// order, looked up by binary search: at 20k certificates a map of them
// (80k objects) held 18 MB at the start's peak, this 8. An object read
// or changed is dropped: its bytes go, its ref stays for the search.
type listedSet struct {
	items []listedItem
}

type listedItem struct {
	raw     store.Raw
	dropped bool
}

// newListedSet holds raws; of a ref listed twice, the last one, as a
// map filled in the list's order would.
func newListedSet(raws []store.Raw) *listedSet {
	byRef := func(a, b store.Raw) int { return store.CompareRefs(a.Ref, b.Ref) }
	// Every Store lists in ref order (List's contract): the check is all
	// that runs, and a Store that breaks it still finds its objects.
	if !slices.IsSortedFunc(raws, byRef) {
		slices.SortStableFunc(raws, byRef)
	}
	items := make([]listedItem, 0, len(raws))
	for _, raw := range raws {
		if n := len(items); n > 0 && items[n-1].raw.Ref == raw.Ref {
			items[n-1].raw = raw
			continue
		}
		items = append(items, listedItem{raw: raw})
	}
	return &listedSet{items: items}
}

func (s *listedSet) find(ref meta.Ref) (int, bool) {
	return slices.BinarySearchFunc(s.items, ref, func(it listedItem, r meta.Ref) int { return store.CompareRefs(it.raw.Ref, r) })
}

// get returns the object listed as ref, and whether it was listed and
// whether it was dropped since (then raw is empty).
func (s *listedSet) get(ref meta.Ref) (raw store.Raw, listed, dropped bool) {
	i, found := s.find(ref)
	switch {
	case !found:
		return store.Raw{}, false, false
	case s.items[i].dropped:
		return store.Raw{}, true, true
	}
	return s.items[i].raw, true, false
}

// drop forgets the object listed as ref, and its bytes.
func (s *listedSet) drop(ref meta.Ref) {
	if i, found := s.find(ref); found {
		s.items[i] = listedItem{raw: store.Raw{Ref: ref}, dropped: true}
	}
}

// all yields the objects not dropped.
func (s *listedSet) all(yield func(store.Raw) bool) {
	for _, it := range s.items {
		if !it.dropped && !yield(it.raw) {
			return
		}
	}
}
