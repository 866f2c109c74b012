package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
)

// TestOwnerWake_KeepsOwnersOfItsOwn: what the owners were shown is kept
// apart from the metadata it was read from (a reconciler's object, which
// it goes on changing), whether the owners are new or as before.
func TestOwnerWake_KeepsOwnersOfItsOwn(t *testing.T) {
	var w ownerWake
	ref := meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: "c"}
	owners := func() []meta.Ref { return []meta.Ref{{Kind: meta.KindOrder, Namespace: "ns", Name: "o"}} }
	om := meta.ObjectMeta{OwnerRefs: owners()}
	assert.True(t, w.see(ref, sightOf(uint64(1), &om, "1"), true, false), "added")
	om.OwnerRefs[0].Name = "scribbled" // the caller's object changes on
	next := meta.ObjectMeta{OwnerRefs: owners()}
	assert.False(t, w.see(ref, sightOf(uint64(1), &next, "2"), false, false),
		"the same owners and view: what was kept is what was shown")
	next.OwnerRefs[0].Name = "scribbled"
	again := meta.ObjectMeta{OwnerRefs: owners()}
	assert.False(t, w.see(ref, sightOf(uint64(1), &again, "3"), false, false),
		"kept when the owners were the same as before too")
	moved := meta.ObjectMeta{OwnerRefs: []meta.Ref{{Kind: meta.KindOrder, Namespace: "ns", Name: "o2"}}}
	assert.True(t, w.see(ref, sightOf(uint64(1), &moved, "4"), false, false), "new owners wake")
}
