package serve

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestLoadedSecrets_AgreesWithAMap: loading and dropping entries at random
// (so runs of colliding slots are cut and shifted back, and the table grows
// and shrinks) finds exactly what a map keyed by reference would.
func TestLoadedSecrets_AgreesWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var tab loadedSecrets
	want := map[meta.Ref]*certEntry{}
	ref := func(i int) meta.Ref { return secretRef(fmt.Sprint("ns-", i%5), fmt.Sprint("s-", i)) }
	for step := range 30000 {
		// Drift between filling and emptying, so the table also shrinks.
		n := 2000
		if step/5000%2 == 1 {
			n = 200
		}
		r := ref(rng.IntN(n))
		switch old := want[r]; {
		case old != nil && rng.IntN(3) > 0:
			require.Same(t, old, tab.remove(r), "step %d", step)
			delete(want, r)
		default:
			e := &certEntry{ref: r}
			require.Same(t, old, tab.set(e), "step %d", step)
			want[r] = e
		}
		if step%500 == 0 {
			require.Equal(t, len(want), tab.len())
			for i := range 2000 {
				require.Same(t, want[ref(i)], tab.get(ref(i)), "step %d: %s", step, ref(i))
			}
			seen := map[meta.Ref]bool{}
			for e := range tab.all {
				require.Same(t, want[e.ref], e)
				seen[e.ref] = true
			}
			require.Len(t, seen, len(want))
			require.LessOrEqual(t, len(tab.slots), max(loadedMin, 8*len(want)), "step %d: the table shrinks", step)
		}
		require.Nil(t, tab.remove(ref(5000)), "an absent reference removes nothing")
	}
}
