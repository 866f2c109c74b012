package certflow

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestRefNames_LongAndShort: a name longer than a chunk gets a chunk of its
// own and the names after it still read back, each exactly as placed.
func TestRefNames_LongAndShort(t *testing.T) {
	var a refNames
	names := []string{"", "a", strings.Repeat("x", refNameChunk+10), "after-long", strings.Repeat("y", refNameChunk-3), "z"}
	for i := range 3000 {
		names = append(names, fmt.Sprint("name-", i))
	}
	places := make([]uint32, len(names))
	for i, n := range names {
		places[i] = a.put(n)
	}
	for i, n := range names {
		require.Equal(t, n, string(a.name(places[i])), "name %d", i)
	}
	var live int
	for _, n := range names {
		live += len(n)
	}
	require.Equal(t, live, a.live)
}

// TestRefTable_CompactsReleasedNames: interning and releasing many names
// keeps the bytes of the name chunks within a few times the live names'
// (released names are compacted away), and every reference still interned
// is found under the same id with its own name.
func TestRefTable_CompactsReleasedNames(t *testing.T) {
	t.Parallel() // touches nothing shared: runs beside the other CPU-bound tests
	var tab refTable[int32]
	const rounds, perRound = 40, 5000
	// Made once: formatting a name every time it is interned or counted
	// cost more, under the race detector, than the table's work on it.
	refs := make([]meta.Ref, rounds*perRound+1)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: fmt.Sprintf("event-%08d-%s", i, strings.Repeat("e", i%40))}
	}
	ref := func(i int) meta.Ref { return refs[i] }
	ids := map[int]int32{}
	next := 0
	for round := range rounds {
		for range perRound {
			id, added := tab.intern(ref(next))
			if !added { // not require.True: its cost per call, times every name
				t.Fatalf("round %d: %d not added", round, next)
			}
			*tab.at(id) = int32(next)
			ids[next] = id
			next++
		}
		// Release all but every tenth, oldest first, as Events expire.
		for i, id := range ids {
			if i%10 != 0 && i < next-1000 {
				tab.release(id)
				delete(ids, i)
			}
		}
		var live int
		for i := range ids {
			live += len(ref(i).Name)
		}
		require.Equal(t, live, tab.names.live, "round %d", round)
		var held int
		for _, c := range tab.names.chunks {
			held += cap(c)
		}
		require.LessOrEqual(t, held, 3*(live+len(ids)*2)+2*refNameChunk, "round %d: chunks hold %d bytes for %d of names", round, held, live)
	}
	require.Greater(t, next*30, 4*refNameChunk, "enough names released to need compacting")
	for i, id := range ids {
		got, ok := tab.lookup(ref(i))
		require.True(t, ok, "ref %d", i)
		require.Equal(t, id, got)
		require.Equal(t, ref(i), tab.ref(id))
		require.Equal(t, int32(i), *tab.at(id))
		require.True(t, tab.is(id, ref(i)))
		require.False(t, tab.is(id, ref(i+1)))
	}
}

// TestRefTable_TextsFollowTheirValues: a value's texts read back as set,
// replaced and released ones are dropped and compacted away, and a
// released value's text goes with it.
func TestRefTable_TextsFollowTheirValues(t *testing.T) {
	t.Parallel() // touches nothing shared: runs beside the other CPU-bound tests
	var tab refTable[secretLabel]
	ref := func(i int) meta.Ref {
		return meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: fmt.Sprint("c-", i)}
	}
	label := func(i, round int) string {
		return fmt.Sprintf("secret-%d-round-%d-%s", i, round, strings.Repeat("l", i%30))
	}
	const n = 2000
	want := map[int]string{}
	for round := range 30 {
		for i := range n {
			switch {
			case round%3 == 2 && i%2 == 0:
				if id, ok := tab.lookup(ref(i)); ok {
					tab.release(id)
				}
				delete(want, i)
			default:
				id, _ := tab.intern(ref(i))
				tab.setText(&tab.at(id).label, label(i, round))
				want[i] = label(i, round)
			}
		}
		var live int
		for _, l := range want {
			live += len(l)
		}
		require.Equal(t, live, tab.texts.live, "round %d", round)
		var held int
		for _, c := range tab.texts.chunks {
			held += cap(c)
		}
		require.LessOrEqual(t, held, 3*live+2*refNameChunk, "round %d", round)
	}
	for i, l := range want {
		id, ok := tab.lookup(ref(i))
		require.True(t, ok)
		require.Equal(t, l, string(tab.text(tab.at(id).label)))
	}
	id, _ := tab.intern(ref(n))
	require.Empty(t, tab.text(tab.at(id).label), "a new value has no text")
}
