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
	var tab refTable[int32]
	ref := func(i int) meta.Ref {
		return meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: fmt.Sprintf("event-%08d-%s", i, strings.Repeat("e", i%40))}
	}
	ids := map[int]int32{}
	next := 0
	for round := range 40 {
		for range 5000 {
			id, added := tab.intern(ref(next))
			require.True(t, added)
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
