package certflow

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store/memory"
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

// BenchmarkIssuerMemo_ManagerStore prices a visit's read of an unchanged
// ACME issuer through the Manager's Store wrappers (own writes, start-up
// list, metrics): decoded, and through the memo.
func BenchmarkIssuerMemo_ManagerStore(b *testing.B) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st})
	require.NoError(b, err)
	iss := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://ca.example/dir", Email: "a@example.com",
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"}, Solvers: []solver.Config{{HTTP01: &solver.HTTP01Config{}}}}},
		Status: issuer.Status{Conditions: meta.Conditions{{Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: issuer.ReasonACMEAccountRegistered,
			Message: "The ACME account was registered with the ACME server", LastTransitionTime: time.Now()}},
			ACME: &issuer.ACMEStatus{URI: "https://ca.example/acct/1", LastPrivateKeyHash: "0123456789abcdef0123456789abcdef"}},
	}
	require.NoError(b, st.Create(ctx, iss))
	ref := meta.RefOf(iss)
	vctx := reconciling(m.listed.visit(ctx), ref)
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = issuer.Get(vctx, m.deps.Store, ref)
		}
	})
	b.Run("memo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = m.wiring.issuerMemo.Get(vctx, m.deps.Store, ref)
		}
	})
}
