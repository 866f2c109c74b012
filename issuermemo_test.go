package certflow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

	compared := 0
	h.m.wiring.issuerMemo.Each(func(ref meta.Ref, held issuer.Object) {
		stored, err := issuer.Get(h.ctx, h.st, ref)
		require.NoError(t, err)
		if stored.GetMeta().ResourceVersion != held.GetMeta().ResourceVersion {
			return // replaced since; the memo answers no more with it
		}
		compared++
		assert.Equal(t, stored, held, "%s as the memo holds it", ref)
	})
	assert.Equal(t, 2, compared, "both issuers were read through the memo")
}
