package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/acmetest"
)

var _ TestCA = (*acmetest.Server)(nil)

func TestConfig_WithTestCAWiresClientDialerAndPorts(t *testing.T) {
	srv := acmetest.NewServer(t, acmetest.WithHTTP01Port(5002), acmetest.WithTLSALPN01Port(5001))
	base := Config{Workers: 3}
	base.ACME.HTTP01Port = 80
	cfg := base.WithTestCA(srv)
	assert.Same(t, srv.Client().Transport, cfg.HTTPClient.Transport, "the client trusts the CA")
	assert.NotNil(t, cfg.ACME.Dial)
	assert.Equal(t, 5002, cfg.ACME.HTTP01Port)
	assert.Equal(t, 5001, cfg.ACME.TLSALPN01Port)
	assert.Equal(t, 3, cfg.Workers, "the rest is kept")
	assert.Equal(t, 80, base.ACME.HTTP01Port, "the Config it was called on is a copy")

	always := acmetest.NewServer(t, acmetest.WithAlwaysValid())
	cfg = base.WithTestCA(always)
	assert.Equal(t, 80, cfg.ACME.HTTP01Port, "a port the CA does not validate on is left as it was")
}
