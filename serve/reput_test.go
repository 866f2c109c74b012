package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
)

// Putting again a version already served keeps its place: when two pending
// challenges share a token (or a TLS-ALPN-01 name), a re-read of an older
// one (a Store read on a serving miss re-puts every challenge it lists)
// does not make it win over the newer one put since.
func TestCache_RePutOfTheServedVersionKeepsItsPlace(t *testing.T) {
	older := atVersion(newChallenge("older", solver.HTTP01, "a.example", testToken+".older"), "5")
	newer := atVersion(newChallenge("newer", solver.HTTP01, "a.example", testToken+".newer"), "7")
	c := NewCache(Options{})
	require.NoError(t, c.PutChallenge(older))
	require.NoError(t, c.PutChallenge(newer))
	require.NoError(t, c.PutChallenge(older))
	ka, _, ok := c.KeyAuthorization(testToken)
	require.True(t, ok)
	assert.Equal(t, testToken+".newer", ka)

	changed := atVersion(newChallenge("older", solver.HTTP01, "a.example", testToken+".older"), "9")
	require.NoError(t, c.PutChallenge(changed))
	ka, _, _ = c.KeyAuthorization(testToken)
	assert.Equal(t, testToken+".older", ka, "a newer version is put as before: the latest put wins")
}
