package certflow

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestRefTable_AgreesWithAMap: interning and releasing references at
// random (so runs of colliding slots are cut and shifted back) finds
// exactly what a Go map holding the same would, ids stay stable while
// interned and freed ids are reused.
func TestRefTable_AgreesWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tab refTable[int]
	want := map[meta.Ref]int32{}
	ref := func(i int) meta.Ref {
		return meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: fmt.Sprint("s-", i)}
	}
	for step := range 20000 {
		r := ref(rng.IntN(3000))
		if id, ok := want[r]; ok && rng.IntN(2) == 0 {
			tab.release(id)
			delete(want, r)
		} else {
			id, added := tab.intern(r)
			require.Equal(t, !ok, added, "step %d: %s", step, r)
			if ok {
				require.Equal(t, want[r], id, "an interned reference keeps its id")
			}
			want[r] = id
		}
		if step%1000 == 0 {
			require.Equal(t, len(want), tab.len())
			for i := range 3000 {
				id, ok := tab.lookup(ref(i))
				wid, wok := want[ref(i)]
				require.Equal(t, wok, ok, "step %d: %s", step, ref(i))
				if ok {
					require.Equal(t, wid, id)
					require.Equal(t, ref(i), tab.ref(id))
				}
			}
		}
	}
	require.LessOrEqual(t, len(tab.entries), 3000, "freed ids are reused")
}
