package certflow

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestRefTable_NamesAndTextsAgreeWithAMap: interning, releasing and relabelling
// references at random, with names and texts long enough that both are
// compacted again and again (and one name longer than a chunk, and an
// empty one), agrees after every step with a map: every reference held is
// found under the id it was given, reads back its reference, scope and
// text, and one released is not found; the live bytes counted are the
// live names' and texts', and the chunks hold within a bound of them.
func TestRefTable_NamesAndTextsAgreeWithAMap(t *testing.T) {
	t.Parallel() // touches nothing shared: runs beside the other CPU-bound tests
	rng := rand.New(rand.NewPCG(21, 22))
	kinds := []meta.Kind{meta.KindCertificate, meta.KindOrder, meta.KindSecret}
	const universe = 200
	refOf := func(i int) meta.Ref {
		name := fmt.Sprintf("n%d-%s", i, strings.Repeat("x", 100+i*7%400))
		switch i {
		case 0:
			name = ""
		case 1:
			name = strings.Repeat("long", refNameChunk/4+5)
		}
		// Namespaces come and go, so scopes are freed and reused.
		return meta.Ref{Kind: kinds[i%3], Namespace: fmt.Sprint("ns-", i%11), Name: name}
	}
	refs := make([]meta.Ref, universe)
	for i := range refs {
		refs[i] = refOf(i)
	}
	ref := func(i int) meta.Ref { return refs[i] }
	type held struct {
		id    int32
		label string
		next  int32
	}
	var tab refTable[secretLabel]
	model := map[int]held{}
	compactions, textCompactions := 0, 0
	// Under the race detector, 5,000 steps: they still compact the names 6
	// times and the texts 4 (the full 8,000: 9 and 6).
	for step := range modelSteps(8000, 5000) {
		i := rng.IntN(universe)
		if i == 1 && rng.IntN(20) > 0 {
			i = 2 // the long name seldom, or the chunks grow by it alone
		}
		r := ref(i)
		deadBefore, textsDeadBefore := tab.names.dead, tab.texts.dead
		switch h, ok := model[i]; {
		case ok && rng.IntN(2) == 0:
			tab.release(h.id)
			delete(model, i)
		default:
			id, added := tab.intern(r)
			require.Equal(t, !ok, added, "step %d: %v added", step, i)
			if ok {
				require.Equal(t, h.id, id, "step %d: interned again under its id", step)
			}
			label := ""
			if rng.IntN(4) > 0 {
				label = fmt.Sprintf("label-%d-%d-%s", i, step, strings.Repeat("l", rng.IntN(200)))
			}
			tab.setText(&tab.at(id).label, label)
			next := rng.Int32N(1000)
			tab.at(id).next = next
			model[i] = held{id: id, label: label, next: next}
		}
		if tab.names.dead < deadBefore { // only compacting lowers it
			compactions++
		}
		if tab.texts.dead < textsDeadBefore {
			textCompactions++
		}

		if tab.len() != len(model) {
			t.Fatalf("step %d: %d held, want %d", step, tab.len(), len(model))
		}
		liveNames, liveTexts := 0, 0
		for j, h := range model {
			r := ref(j)
			// Plain comparisons: see model_helpers_test.go.
			if id, ok := tab.lookup(r); !ok || id != h.id {
				t.Fatalf("step %d: %d found %v as id %d, want id %d", step, j, ok, id, h.id)
			}
			if got := tab.ref(h.id); got != r || !tab.is(h.id, r) || tab.namespaceOf(h.id) != r.Namespace {
				t.Fatalf("step %d: id %d reads back as %v, want %v", step, h.id, got, r)
			}
			if got := string(tab.text(tab.at(h.id).label)); got != h.label || tab.at(h.id).next != h.next {
				t.Fatalf("step %d: %d's value is %q %d, want %q %d", step, j, got, tab.at(h.id).next, h.label, h.next)
			}
			liveNames += len(r.Name)
			liveTexts += len(h.label)
		}
		if _, ok := model[i]; !ok {
			if _, found := tab.lookup(r); found {
				t.Fatalf("step %d: %d released but found", step, i)
			}
		}
		if tab.names.live != liveNames || tab.texts.live != liveTexts {
			t.Fatalf("step %d: %d live bytes of names and %d of texts counted, want %d and %d",
				step, tab.names.live, tab.texts.live, liveNames, liveTexts)
		}
		for _, a := range []*refNames{&tab.names, &tab.texts} {
			heldBytes := 0
			for _, c := range a.chunks {
				heldBytes += cap(c)
			}
			// Each name costs its bytes and a length of at most 3 here.
			if bound := 3*(a.live+4*len(model)) + 3*refNameChunk + len(ref(1).Name); heldBytes > bound {
				t.Fatalf("step %d: %d bytes held for %d live, more than %d", step, heldBytes, a.live, bound)
			}
		}
	}
	t.Logf("%d compactions of names, %d of texts", compactions, textCompactions)
	require.Greater(t, compactions, 3, "names compacted")
	require.Greater(t, textCompactions, 3, "texts compacted")
}
