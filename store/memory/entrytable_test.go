package memory

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// The table finds exactly what a map would, through growth, removals
// that shift probed ids back, and shrinking; half the puts and removals
// take the slot lookupSlot found, as Create and Delete do. With room for
// 63 ids only, the table drops its tags on the 64th and goes on finding
// every object.
func TestEntryTable_AsAMap(t *testing.T) {
	t.Run("tagged", func(t *testing.T) { testEntryTableAsAMap(t, 1<<idBits-1) })
	t.Run("widened", func(t *testing.T) { testEntryTableAsAMap(t, 1<<6-1) })
}

func testEntryTableAsAMap(t *testing.T, idMask uint32) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ids objectIDs
	tab := newEntryTable(&ids)
	tab.idMask = idMask
	want := map[meta.Ref]*entry{}
	ref := func(i int) meta.Ref { return meta.Ref{Kind: "K", Namespace: "ns", Name: fmt.Sprintf("n%d", i)} }
	for round := range 20000 {
		r := ref(rng.IntN(3000))
		id, held, slot := tab.lookupSlot(r)
		switch {
		case round > 15000 || rng.IntN(3) == 0: // the last rounds mostly empty it
			if round%2 == 0 {
				tab.remove(r)
			} else if held {
				tab.removeAt(slot.i)
			}
			if held {
				ids.remove(id)
			}
			delete(want, r)
		case held: // an update: the same id, a new entry
			e := new(entry)
			*e = entryRef(r)
			ids.replace(id, e)
			want[r] = e
		default:
			e := new(entry)
			*e = entryRef(r)
			if round%2 == 0 {
				tab.put(r, ids.add(e))
			} else {
				tab.putAt(r, ids.add(e), slot)
			}
			want[r] = e
		}
		if round%1000 == 0 {
			require.Equal(t, len(want), tab.len())
			for i := range 3000 {
				require.Same(t, want[ref(i)], tab.get(ref(i)), "round %d ref %d", round, i)
			}
			seen := map[meta.Ref]bool{}
			for e := range tab.all() {
				require.False(t, seen[e.ref()])
				seen[e.ref()] = true
				require.Same(t, want[e.ref()], e)
			}
			require.Len(t, seen, len(want))
		}
	}
	for r := range want {
		tab.remove(r)
	}
	require.Zero(t, tab.len())
	require.Equal(t, idMask == 1<<6-1, tab.idMask == ^uint32(0), "widened")
	require.LessOrEqual(t, len(tab.slots), 2*minTable, "shrinks back")
	require.Nil(t, tab.get(ref(1)))
	var none *entryTable
	require.Nil(t, none.get(ref(1)))
	require.Zero(t, none.len())
}
