package metrics

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestDirtySet_AgreesWithAMap: adding references at random, again and
// again, holds exactly the set a map would, and yields each member once.
func TestDirtySet_AgreesWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	kinds := []meta.Kind{meta.KindCertificate, meta.KindIssuer, meta.KindOrder}
	ref := func(i int) meta.Ref {
		return meta.Ref{Kind: kinds[i%3], Namespace: fmt.Sprint("ns-", i%7), Name: fmt.Sprint("obj-", i)}
	}
	var s dirtySet
	want := map[meta.Ref]bool{}
	for range 5000 {
		r := ref(rng.IntN(3000))
		s.add(r)
		want[r] = true
	}
	require.Equal(t, len(want), s.len())
	got := map[meta.Ref]bool{}
	for r := range s.all {
		require.False(t, got[r], "%s yielded twice", r)
		got[r] = true
	}
	require.Equal(t, want, got)
}

// TestDirtySet_KeepsMembersWhoseHashesClash: a reference whose hash a
// member already has is a member of its own, however often added.
func TestDirtySet_KeepsMembersWhoseHashesClash(t *testing.T) {
	var s dirtySet
	a := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "a"}
	b := meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "b"}
	s.add(a)
	// Give b a's hash, as a clash would.
	s.at[s.hash(b)] = s.at[s.hash(a)]
	delete(s.at, s.hash(a))
	s.add(b)
	s.add(b)
	require.Equal(t, []meta.Ref{b}, s.clash)
	got := map[meta.Ref]bool{}
	for r := range s.all {
		got[r] = true
	}
	require.Equal(t, map[meta.Ref]bool{a: true, b: true}, got)
}
