package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

func TestACME_CrashAfterOrderCreated_RestartFinishesSameOrder(t *testing.T) {
	dir := t.TempDir()
	st1, err := file.Open(dir)
	require.NoError(t, err)
	// The CA answers the first authorization read (which follows the
	// order's creation at once) only after a long pause, so the first
	// Manager cannot get further before it is stopped.
	h := startACME(t, acmeSetup{store: st1, acmeOpts: []acmetest.Option{
		acmetest.WithFaults(acmetest.Delay(acmetest.EndpointAuthz, 1, 30*time.Second)),
	}})
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	crt := testrig.ACMECertificate("default", "crash", "acme", "crash.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))

	var url string
	h.awaitStore("an Order records its ACME URL", func() bool {
		orders, err := store.ListOf[order.Order](h.ctx, h.st, store.ListOptions{Kind: meta.KindOrder, Namespace: "default"})
		require.NoError(t, err)
		for _, o := range orders {
			url = o.Status.URL
		}
		return url != ""
	})
	h.poll("the first Manager is waiting for the CA", func() bool { return h.acme.Requests(acmetest.EndpointAuthz) == 1 })
	h.stopManager()
	require.Equal(t, 1, h.acme.OrderCount())
	c := &certificate.Certificate{}
	require.NoError(t, h.st.Get(h.ctx, meta.RefOf(crt), c))
	require.False(t, c.Status.Conditions.IsTrue(meta.ConditionReady), "stopped before issuance finished")
	require.NoError(t, st1.Close()) // a closed store reads nothing more (file.ErrClosed)

	// A new process: a new Store handle on the same directory, a new Manager.
	st2, err := file.Open(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st2.Close() })
	h.startManager(st2)
	got := h.waitReady(meta.RefOf(crt))
	require.Equal(t, 1, *got.Status.Revision)

	assert.Equal(t, 1, h.acme.OrderCount(), "the restarted Manager finished the same ACME order")
	orders, err := store.ListOf[order.Order](h.ctx, st2, store.ListOptions{Kind: meta.KindOrder, Namespace: "default"})
	require.NoError(t, err)
	require.Len(t, orders, 1)
	assert.Equal(t, url, orders[0].Status.URL)
	assert.Equal(t, "valid", string(orders[0].Status.State))
	assert.Equal(t, []string{"crash.example.test"}, h.handshake("crash.example.test").PeerCertificates[0].DNSNames)
}
