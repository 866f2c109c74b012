package memory

import (
	"iter"
	"slices"

	"github.com/certflow/certflow/meta"
)

// labelIndex finds the objects of a kind carrying a label, so a List by
// label (a Certificate looking for the others naming its Secret) reads
// those objects instead of every object of the kind. Guarded by Store.mu.
type labelIndex map[meta.Kind]map[labelPair]*refSet

type labelPair struct{ key, value string }

func (ix labelIndex) add(ref meta.Ref, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	byPair := ix[ref.Kind]
	if byPair == nil {
		byPair = map[labelPair]*refSet{}
		ix[ref.Kind] = byPair
	}
	for k, v := range labels {
		p := labelPair{k, v}
		refs := byPair[p]
		if refs == nil {
			refs = &refSet{}
			byPair[p] = refs
		}
		refs.add(ref)
	}
}

func (ix labelIndex) remove(ref meta.Ref, labels map[string]string) {
	byPair := ix[ref.Kind]
	for k, v := range labels {
		p := labelPair{k, v}
		if refs := byPair[p]; refs != nil {
			refs.remove(ref)
			if refs.len() == 0 {
				delete(byPair, p)
			}
		}
	}
}

// narrowest returns the refs of kind carrying the selector's rarest label,
// or ok false when the selector is empty (every object must be looked at).
func (ix labelIndex) narrowest(kind meta.Kind, selector map[string]string) (refs *refSet, ok bool) {
	for k, v := range selector {
		r := ix[kind][labelPair{k, v}]
		if !ok || r.len() < refs.len() {
			refs, ok = r, true
		}
	}
	return refs, ok
}

// fewRefs is the most refs a refSet keeps in a slice: most labels are
// carried by a handful of objects (the events of one object, the
// Certificates naming one Secret), and a slice of a few costs a third of
// the smallest map.
const fewRefs = 8

// refSet is a set of refs: a slice while small, a map beyond fewRefs.
// A nil *refSet is empty.
type refSet struct {
	few  []meta.Ref
	many map[meta.Ref]struct{}
}

func (s *refSet) add(ref meta.Ref) {
	switch {
	case s.many != nil:
		s.many[ref] = struct{}{}
	case slices.Contains(s.few, ref):
	case len(s.few) < fewRefs:
		s.few = append(s.few, ref)
	default:
		s.many = make(map[meta.Ref]struct{}, 2*fewRefs)
		for _, r := range s.few {
			s.many[r] = struct{}{}
		}
		s.many[ref] = struct{}{}
		s.few = nil
	}
}

func (s *refSet) remove(ref meta.Ref) {
	if s.many != nil {
		delete(s.many, ref)
		return
	}
	if i := slices.Index(s.few, ref); i >= 0 {
		s.few = slices.Delete(s.few, i, i+1)
	}
}

func (s *refSet) len() int {
	if s == nil {
		return 0
	}
	if s.many != nil {
		return len(s.many)
	}
	return len(s.few)
}

// all yields each ref once.
func (s *refSet) all() iter.Seq[meta.Ref] {
	return func(yield func(meta.Ref) bool) {
		if s == nil {
			return
		}
		if s.many != nil {
			for r := range s.many {
				if !yield(r) {
					return
				}
			}
			return
		}
		for _, r := range s.few {
			if !yield(r) {
				return
			}
		}
	}
}
