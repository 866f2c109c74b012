package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

func TestACME_HTTP01_OneName(t *testing.T) {
	h := startACME(t, acmeSetup{})
	c := h.issue(h.acmeIssuer("default", "acme"), acmeCertificate("default", "web", "acme", "web.example.test"))
	require.Equal(t, 1, *c.Status.Revision)

	st := h.handshake("web.example.test")
	assert.Equal(t, []string{"web.example.test"}, st.PeerCertificates[0].DNSNames)
	assert.Equal(t, 1, h.acme.OrderCount())

	tree, err := h.m.Status(h.ctx, meta.RefOf(c))
	require.NoError(t, err)
	t.Log(tree)
}
