package acmetest_test

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

func TestDomainBlocklistRejectsNames(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t, 30*time.Second)
	s := acmetest.NewServer(t, acmetest.WithDomainBlocklist("blocked.test"))
	cl := registeredClient(ctx, t, s)

	_, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("www.blocked.test"))
	var ae *acme.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "urn:ietf:params:acme:error:rejectedIdentifier", ae.ProblemType)
	assert.Zero(t, s.OrderCount())
}

func TestKeyAlgorithm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []acmetest.Option
		want any
	}{
		{"default ecdsa", nil, &ecdsa.PublicKey{}},
		{"rsa", []acmetest.Option{acmetest.WithKeyAlgorithm("rsa")}, &rsa.PublicKey{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := acmetest.NewServer(t, tt.opts...)
			blk, _ := pem.Decode(s.RootPEM(0))
			require.NotNil(t, blk)
			root, err := x509.ParseCertificate(blk.Bytes)
			require.NoError(t, err)
			assert.IsType(t, tt.want, root.PublicKey)
		})
	}
}
