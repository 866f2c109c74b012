package serve

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
)

func TestHeldListsWhatIsServedWhoeverPutIt(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.Empty(t, c.Held())

	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"web.example.test"}})))
	require.NoError(t, c.Apply([]*secret.Secret{ca.secretFor(t, "ns", "api", leaf{dns: []string{"api.example.test"}})}, nil))
	require.NoError(t, c.PutChallenge(newChallenge("ch", solver.HTTP01, "web.example.test", testToken+".thumb")))
	require.ElementsMatch(t, []meta.Ref{secretRef("ns", "web"), secretRef("ns", "api"), challengeRef("ch")}, c.Held())

	c.DeleteSecret(secretRef("ns", "web"))
	c.DeleteChallenge(challengeRef("ch"))
	require.Equal(t, []meta.Ref{secretRef("ns", "api")}, c.Held())
}
