package certflow

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestRefTable_CompactsInSteps: with more entries than a compaction step
// visits, emptying chunks spans several releases while names and texts are
// interned, released and relabelled meanwhile; every reference still reads
// back its name and text, the per-chunk counts add up, and the chunk bytes
// stay within a bound of the live ones. Releasing nearly everything then
// gives the chunks back: the bytes held fall to a few chunks.
func TestRefTable_CompactsInSteps(t *testing.T) {
	t.Parallel() // touches nothing shared: runs beside the other CPU-bound tests
	rng := rand.New(rand.NewPCG(5, 6))
	const universe = 3 * refNameScan
	// Made once: formatting a name at every step cost more, under the
	// race detector, than the table's work on it.
	refs := make([]meta.Ref, universe)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: fmt.Sprintf("c-%06d-%s", i, strings.Repeat("n", i%50))}
	}
	refOf := func(i int) meta.Ref { return refs[i] }
	// label is fmt.Sprintf("tls-%d-%d", i, step) at a fraction of its cost.
	label := func(i, step int) string { return "tls-" + strconv.Itoa(i) + "-" + strconv.Itoa(step) }
	var tab refTable[secretLabel]
	ids := map[int]int32{}
	labels := map[int]string{}
	spanning := 0
	check := func(step int) {
		t.Helper()
		for i, id := range ids {
			if got, ok := tab.lookup(refOf(i)); !ok || got != id {
				t.Fatalf("step %d: %d found %v as %d, want %d", step, i, ok, got, id)
			}
			if got := string(tab.text(tab.at(id).label)); got != labels[i] {
				t.Fatalf("step %d: %d's text %q, want %q", step, i, got, labels[i])
			}
		}
		for _, a := range []*refNames{&tab.names, &tab.texts} {
			live, dead, held := 0, 0, 0
			for c, u := range a.use {
				live += int(u.live)
				dead += int(u.dead)
				held += cap(a.chunks[c])
				if a.chunks[c] == nil && (u.live != 0 || u.dead != 0) {
					t.Fatalf("step %d: dropped chunk %d counts %+v", step, c, u)
				}
			}
			require.Equal(t, a.live, live, "step %d", step)
			require.Equal(t, a.dead, dead, "step %d", step)
			// A name costs its bytes and a length of at most 10 here.
			require.LessOrEqual(t, held, 3*(a.live+10*len(ids))+4*refNameStep,
				"step %d: %d bytes held for %d live", step, held, a.live)
		}
	}
	for step := range 400_000 {
		i := rng.IntN(universe)
		id, ok := ids[i]
		switch {
		case ok && rng.IntN(2) == 0:
			tab.release(id)
			delete(ids, i)
			delete(labels, i)
		case ok:
			l := label(i, step)
			tab.setText(&tab.at(id).label, l)
			labels[i] = l
		default:
			id, _ = tab.intern(refOf(i))
			l := label(i, step)
			tab.setText(&tab.at(id).label, l)
			ids[i], labels[i] = id, l
		}
		if tab.names.emptying > 0 || tab.texts.emptying > 0 {
			spanning++
		}
		if step%20_000 == 0 {
			check(step)
		}
	}
	check(-1)
	require.Greater(t, spanning, 10, "emptying chunks spanned releases")

	peak := 0
	for _, c := range tab.names.chunks {
		peak += cap(c)
	}
	for i, id := range ids {
		if i%100 != 0 {
			tab.release(id)
			delete(ids, i)
			delete(labels, i)
		}
	}
	// Relabelling the few left takes the texts' steps too.
	for range 20 {
		for i, id := range ids {
			l := fmt.Sprintf("tls-%d-again", i)
			tab.setText(&tab.at(id).label, l)
			labels[i] = l
		}
	}
	check(-2)
	held := 0
	for _, c := range tab.names.chunks {
		held += cap(c)
	}
	t.Logf("names: %d bytes held at the peak, %d after releasing 99%% (%d live)", peak, held, tab.names.live)
	require.Less(t, held, peak/10, "released chunks are given back")
}
