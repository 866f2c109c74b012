package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// nodesOf returns the nodes of kind in the tree below n, depth first.
func nodesOf(n *certflow.StatusNode, kind meta.Kind) []*certflow.StatusNode {
	var out []*certflow.StatusNode
	if n.Kind == kind {
		out = append(out, n)
	}
	for _, c := range n.Children {
		out = append(out, nodesOf(c, kind)...)
	}
	return out
}

func detail(n *certflow.StatusNode, key string) string {
	for _, d := range n.Details {
		if d.Key == key {
			return d.Value
		}
	}
	return ""
}

func TestACME_StatusTree_ShowsChainWhilePendingAndWhenIssued(t *testing.T) {
	// The CA takes its time with the Accept, so the Challenge stays pending
	// long enough to be seen.
	h := startACME(t, acmeSetup{acmeOpts: []acmetest.Option{
		acmetest.WithFaults(acmetest.Delay(acmetest.EndpointChallenge, 1, time.Second)),
	}})
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	crt := testrig.ACMECertificate("default", "tree", "acme", "tree.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	ref := meta.RefOf(crt)

	h.awaitStore("the Challenge is presented", func() bool {
		chs, err := store.ListOf[challenge.Challenge](h.ctx, h.st, store.ListOptions{Kind: meta.KindChallenge, Namespace: "default"})
		require.NoError(t, err)
		return len(chs) == 1 && chs[0].Status.Presented
	})
	tree, err := h.m.Status(h.ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, meta.KindCertificate, tree.Kind)
	assert.NotEqual(t, certflow.StateReady, tree.State)
	require.Len(t, nodesOf(tree, meta.KindIssuer), 1)
	assert.Equal(t, certflow.StateReady, nodesOf(tree, meta.KindIssuer)[0].State)
	require.Len(t, nodesOf(tree, meta.KindCertificateRequest), 1)
	orders := nodesOf(tree, meta.KindOrder)
	require.Len(t, orders, 1)
	assert.Equal(t, certflow.NodeState(challenge.StatePending), orders[0].State)
	assert.NotEmpty(t, detail(orders[0], "URL"))
	chs := nodesOf(tree, meta.KindChallenge)
	require.Len(t, chs, 1)
	assert.Contains(t, []certflow.NodeState{certflow.NodeState(challenge.StatePending), certflow.NodeState(challenge.StateProcessing)}, chs[0].State)
	assert.Equal(t, string(solver.HTTP01), detail(chs[0], "Type"))
	assert.Equal(t, "tree.example.test", detail(chs[0], "Identifier"))
	assert.Equal(t, "true", detail(chs[0], "Presented"))
	assert.Contains(t, tree.String(), "Challenge default/"+chs[0].Name)

	h.waitReady(ref)
	tree, err = h.m.Status(h.ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, certflow.StateReady, tree.State)
	assert.Equal(t, "1", detail(tree, "Revision"))
	secrets := nodesOf(tree, meta.KindSecret)
	require.Len(t, secrets, 1)
	assert.Equal(t, certflow.StateReady, secrets[0].State, "the Secret's chain parses")
	assert.Equal(t, "2", detail(secrets[0], "Chain Length"))
	assert.Equal(t, "tree.example.test", detail(secrets[0], "DNS Names"))
	reqs := nodesOf(tree, meta.KindCertificateRequest)
	require.Len(t, reqs, 1)
	assert.Equal(t, certflow.StateReady, reqs[0].State)
	orders = nodesOf(tree, meta.KindOrder)
	require.Len(t, orders, 1)
	assert.Equal(t, certflow.NodeState(challenge.StateValid), orders[0].State)
	chs = nodesOf(tree, meta.KindChallenge)
	require.Len(t, chs, 1)
	assert.Equal(t, certflow.NodeState(challenge.StateValid), chs[0].State)
}
