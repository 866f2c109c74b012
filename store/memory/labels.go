package memory

import (
	"iter"
	"slices"
	"strings"

	"github.com/certflow/certflow/meta"
)

// labelIndex finds the objects of a kind carrying a label, so a List by
// label (a Certificate looking for the others naming its Secret) reads
// those objects instead of every object of the kind. It holds the entries
// themselves (a word each, where a ref is six), so a List by label reads
// no map. Guarded by Store.mu: a write replacing an entry replaces it here.
type labelIndex map[meta.Kind]map[labelPair]*refSet

type labelPair struct{ key, value string }

// add indexes e under each of its labels.
func (ix labelIndex) add(e *entry) {
	e.eachLabel(func(k, v string) {
		byPair := ix[e.scope.Value().kind]
		if byPair == nil {
			byPair = map[labelPair]*refSet{}
			ix[e.scope.Value().kind] = byPair
		}
		p := labelPair{k, v}
		refs := byPair[p]
		if refs == nil {
			refs = &refSet{}
			byPair[labelPair{canonical(k), strings.Clone(v)}] = refs // k, v point into e
		}
		refs.add(e)
	})
}

// remove drops e (the very entry add was given) from the index.
func (ix labelIndex) remove(e *entry) {
	byPair := ix[e.scope.Value().kind]
	e.eachLabel(func(k, v string) {
		p := labelPair{k, v}
		if refs := byPair[p]; refs != nil {
			refs.remove(e)
			if refs.len() == 0 {
				delete(byPair, p)
			}
		}
	})
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

// refSet is a set of entries: a slice while small, a map beyond fewRefs.
// A nil *refSet is empty.
type refSet struct {
	few  []*entry
	many map[*entry]struct{}
}

func (s *refSet) add(e *entry) {
	switch {
	case s.many != nil:
		s.many[e] = struct{}{}
	case slices.Contains(s.few, e):
	case len(s.few) < fewRefs:
		s.few = append(s.few, e)
	default:
		s.many = make(map[*entry]struct{}, 2*fewRefs)
		for _, r := range s.few {
			s.many[r] = struct{}{}
		}
		s.many[e] = struct{}{}
		s.few = nil
	}
}

func (s *refSet) remove(e *entry) {
	if s.many != nil {
		delete(s.many, e)
		return
	}
	if i := slices.Index(s.few, e); i >= 0 {
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

// all yields each entry once.
func (s *refSet) all() iter.Seq[*entry] {
	return func(yield func(*entry) bool) {
		if s == nil {
			return
		}
		if s.many != nil {
			for e := range s.many {
				if !yield(e) {
					return
				}
			}
			return
		}
		for _, e := range s.few {
			if !yield(e) {
				return
			}
		}
	}
}
