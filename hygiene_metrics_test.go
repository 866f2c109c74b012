package certflow

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// TestHygieneCallsNameTheirActions: revocation, authorization
// deactivation, key rollover and account deactivation each reach the CA
// under their own action label, and none unnamed.
func TestHygieneCallsNameTheirActions(t *testing.T) {
	// Names starting "stalled." are never answered: their authorization
	// stays pending.
	stall := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.Host, "stalled.") {
				http.NotFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h := startACME(t, acmeSetup{httpWrap: stall})
	ref := h.issueACME("www", nil)
	renewal, err := h.m.Revoke(h.ctx, ref, RevocationSuperseded)
	require.NoError(t, err)
	// Pebble's in-memory account store changes a key under its validation
	// authority's feet (a data race inside Pebble): the replacement's
	// validation must be over before the rollover below.
	require.NoError(t, h.m.WaitReady(h.ctx, ref, ForRenewal(renewal)))
	require.NoError(t, h.acme.AwaitValidations(h.ctx))

	stalled := testrig.ACMECertificate("default", "stalled", "acme", "stalled.example.test")
	require.NoError(t, h.m.Apply(h.ctx, stalled))
	h.awaitStore("a pending authorization", func() bool {
		return len(h.m.pendingAuthorizations(h.ctx, meta.RefOf(stalled))) == 1
	})
	require.NoError(t, h.m.Delete(h.ctx, meta.RefOf(stalled)))

	iref := meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}
	before := &issuer.Issuer{}
	require.NoError(t, h.st.Get(h.ctx, iref, before))
	key, err := pki.GenerateKey(pki.AlgECDSA, 256)
	require.NoError(t, err)
	pemKey, err := pki.EncodePrivateKey(key, false)
	require.NoError(t, err)
	require.NoError(t, h.m.Apply(h.ctx, &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme-account"},
		Type: secret.TypeOpaque, Data: map[string][]byte{secret.TLSKeyKey: pemKey}}))
	testrig.WaitFor[issuer.Issuer](t, h.ctx, h.st, iref, "rolled over", func(i *issuer.Issuer) bool {
		return i.Status.ACME != nil && i.Status.ACME.LastPrivateKeyHash != before.Status.ACME.LastPrivateKeyHash &&
			i.Status.Conditions.IsTrue(meta.ConditionReady)
	}, nil)
	require.NoError(t, h.m.DeactivateAccount(h.ctx, iref))

	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(h.m.Metrics()))
	families, err := reg.Gather()
	require.NoError(t, err)
	seen, hosts := map[string]float64{}, map[string]bool{}
	for _, f := range families {
		if f.GetName() != "certmanager_http_acme_client_request_count" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "action":
					seen[l.GetValue()] += m.GetUntyped().GetValue() + m.GetCounter().GetValue()
				case "host":
					hosts[l.GetValue()] = true
				}
			}
		}
	}
	for _, a := range []string{"revoke_cert", "revoke_authorization", "account_key_rollover", "deactivate_reg"} {
		assert.Positive(t, seen[a], a)
	}
	assert.NotContains(t, seen, "unnamed_action", "every ACME call names its action")
	// The account's clients and the revocation's own (signed by the
	// certificate's key) both name the Issuer's CA: none counts as "other".
	dir, err := url.Parse(h.acme.DirectoryURL())
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{dir.Host: true}, hosts)
}
