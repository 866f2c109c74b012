package memory

import "github.com/certflow/certflow/meta"

// ownerIndex finds the objects listing an owner among their OwnerRefs, so
// a List by owner (the Events of one Certificate, of hundreds of
// thousands) reads those objects instead of every object of the kind. It
// spans kinds, unlike labelIndex: one owner's Events, request and Secret
// share one key, where a key per kind would cost each owner three. Like
// labelIndex it holds the entries themselves. Guarded by Store.mu: a write
// replacing an entry replaces it here.
type ownerIndex map[meta.Ref]*refSet

// add indexes e under each of its owners.
func (ix ownerIndex) add(e *entry) {
	e.eachOwner(func(owner meta.Ref) {
		refs := ix[owner]
		if refs == nil {
			refs = &refSet{}
			ix[cloneRef(owner)] = refs // owner points into e
		}
		refs.add(e)
	})
}

// remove drops e (the very entry add was given) from the index.
func (ix ownerIndex) remove(e *entry) {
	e.eachOwner(func(owner meta.Ref) {
		if refs := ix[owner]; refs != nil {
			refs.remove(e)
			if refs.len() == 0 {
				delete(ix, owner)
			}
		}
	})
}

// owned returns the entries listing owner, of every kind.
func (ix ownerIndex) owned(owner meta.Ref) *refSet { return ix[owner] }
