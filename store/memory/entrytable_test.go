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
// take the slot lookupSlot found, as Create and Delete do.
func TestEntryTable_AsAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ids objectIDs
	tab := newEntryTable(&ids)
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
				tab.removeAt(slot)
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
	require.LessOrEqual(t, len(tab.slots), 2*minTable, "shrinks back")
	require.Nil(t, tab.get(ref(1)))
	var none *entryTable
	require.Nil(t, none.get(ref(1)))
	require.Zero(t, none.len())
}
