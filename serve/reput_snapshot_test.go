package serve

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
)

// The Manager re-puts a challenge at each status change (Presented,
// Accepting, Accepted, ...), each a new version with the same answer. While
// it is the one served for its token or name, such a put builds no new
// snapshot: the lookups would be the same.
func TestCache_RePutOfTheSameAnswerKeepsTheSnapshot(t *testing.T) {
	for _, typ := range []solver.Type{solver.HTTP01, solver.TLSALPN01} {
		t.Run(string(typ), func(t *testing.T) {
			c := NewCache(Options{})
			other := atVersion(newChallenge("other", typ, "b.example", testToken+".other"), "1")
			require.NoError(t, c.PutChallenge(other))
			const puts = 20
			var versions []string
			for i := range puts + 1 {
				versions = append(versions, strconv.Itoa(10+i))
			}
			ch := newChallenge("served", typ, "a.example", testToken+".served")
			ch.Spec.Token = testToken[:30] // not the other's
			require.NoError(t, c.PutChallenge(atVersion(ch, versions[0])))
			before := c.challenges.Load()
			i := 1
			allocs := testing.AllocsPerRun(puts-1, func() {
				ch.ObjectMeta.ResourceVersion = versions[i]
				i++
				require.NoError(t, c.PutChallenge(ch))
			})
			assert.Same(t, before, c.challenges.Load(), "a re-put of the same answer swaps no snapshot")
			assert.LessOrEqual(t, allocs, 3.0, "allocations of a re-put of the same answer")
			if typ == solver.HTTP01 {
				ka, _, ok := c.KeyAuthorization(ch.Spec.Token)
				require.True(t, ok)
				assert.Equal(t, testToken+".served", ka)
			}
		})
	}
}

// A re-put kept in place still counts as the latest put: when a challenge
// sharing its token is put again at a newer version, and then it is, the
// later put wins each time, as when every put built a snapshot.
func TestCache_RePutInPlaceStaysTheLatestPut(t *testing.T) {
	a := newChallenge("a", solver.HTTP01, "a.example", testToken+".a")
	b := newChallenge("b", solver.HTTP01, "a.example", testToken+".b")
	c := NewCache(Options{})
	served := func() string {
		ka, _, ok := c.KeyAuthorization(testToken)
		require.True(t, ok)
		return ka
	}
	require.NoError(t, c.PutChallenge(atVersion(a, "1")))
	require.NoError(t, c.PutChallenge(atVersion(b, "2")))
	require.NoError(t, c.PutChallenge(atVersion(b, "3"))) // in place: b serves already
	assert.Equal(t, testToken+".b", served())
	require.NoError(t, c.PutChallenge(atVersion(a, "4")))
	assert.Equal(t, testToken+".a", served(), "a newer version of a is the latest put")
	require.NoError(t, c.PutChallenge(atVersion(b, "5")))
	assert.Equal(t, testToken+".b", served(), "and then of b")
	// Deleting the one served falls back to the other, whose place is that
	// of its latest put.
	c.DeleteChallenge(challengeRef("b"))
	assert.Equal(t, testToken+".a", served())
}
