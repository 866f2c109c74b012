package certflow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
)

// The issuers the reconcilers share through the memo are read only: after
// ACME and CA issuances (every reconciler reading its issuer through it),
// each version the memo holds is still what the Store holds of it.
func TestIssuerMemo_NoReconcilerChangesASharedIssuer(t *testing.T) {
	h := startACME(t, acmeSetup{})
	h.issueACME("www", nil)
	h.issueACME("api", nil)
	require.NoError(t, h.m.Apply(h.ctx, testrig.CASecret(t, "default", "ca", time.Now())))
	require.NoError(t, h.m.Apply(h.ctx, testrig.CAIssuer("default", "ca", "ca")))
	local := testrig.Certificate("default", "local", "ca", "local.example.test")
	require.NoError(t, h.m.Apply(h.ctx, local))
	require.NoError(t, h.m.WaitReady(h.ctx, meta.RefOf(local)))

	for _, name := range []string{"acme", "ca"} {
		ref := meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: name}
		counted := storecount.New(h.st)
		held, err := h.m.wiring.issuerMemo.Get(h.ctx, counted, ref)
		require.NoError(t, err)
		require.Zero(t, counted.Counts().Of(storecount.Get), "%s is answered by the memo, as the reconcilers read it last", ref)
		stored, err := issuer.Get(h.ctx, h.st, ref)
		require.NoError(t, err)
		assert.Equal(t, stored, held, "%s as the memo holds it", ref)
	}
}
