package certflow

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/store/memory"
)

// One issuance parses its CSR once and never checks its signature (the
// Manager made it), and parses the chain issued once, though the request,
// the Certificate and its Secret all read them.
func TestIssuance_ParsesItsCSRAndChainOnce(t *testing.T) {
	ctx := testrig.Context(t)
	m, err := New(Config{Store: memory.New(), Clock: clock.Real{}})
	require.NoError(t, err)
	testrig.Run(t, ctx, 10*time.Second, m.Run)

	require.NoError(t, m.Apply(ctx, testrig.CASecret(t, "default", "ca-key", time.Now())))
	require.NoError(t, m.Apply(ctx, testrig.CAIssuer("default", "ca", "ca-key")))
	require.NoError(t, m.Apply(ctx, testrig.Certificate("default", "web", "ca", "web.example.test")))
	require.NoError(t, m.WaitReady(ctx, testrig.CertRef("default", "web")))

	parsed, verified := m.wiring.csrs.Counts()
	assert.EqualValues(t, 1, parsed, "CSR parses")
	assert.Zero(t, verified, "CSR signature checks")
	assert.EqualValues(t, 1, m.wiring.chains.Parsed(), "chain parses")
}
