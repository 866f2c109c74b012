package memory

import "github.com/certflow/certflow/meta"

// labelIndex finds the objects of a kind carrying a label, so a List by
// label (a Certificate looking for the others naming its Secret) reads
// those objects instead of every object of the kind. Guarded by Store.mu.
type labelIndex map[meta.Kind]map[labelPair]map[meta.Ref]struct{}

type labelPair struct{ key, value string }

func (ix labelIndex) add(ref meta.Ref, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	byPair := ix[ref.Kind]
	if byPair == nil {
		byPair = map[labelPair]map[meta.Ref]struct{}{}
		ix[ref.Kind] = byPair
	}
	for k, v := range labels {
		p := labelPair{k, v}
		refs := byPair[p]
		if refs == nil {
			refs = map[meta.Ref]struct{}{}
			byPair[p] = refs
		}
		refs[ref] = struct{}{}
	}
}

func (ix labelIndex) remove(ref meta.Ref, labels map[string]string) {
	byPair := ix[ref.Kind]
	for k, v := range labels {
		p := labelPair{k, v}
		if refs := byPair[p]; refs != nil {
			delete(refs, ref)
			if len(refs) == 0 {
				delete(byPair, p)
			}
		}
	}
}

// narrowest returns the refs of kind carrying the selector's rarest label,
// or ok false when the selector is empty (every object must be looked at).
func (ix labelIndex) narrowest(kind meta.Kind, selector map[string]string) (refs map[meta.Ref]struct{}, ok bool) {
	for k, v := range selector {
		r := ix[kind][labelPair{k, v}]
		if !ok || len(r) < len(refs) {
			refs, ok = r, true
		}
	}
	return refs, ok
}
