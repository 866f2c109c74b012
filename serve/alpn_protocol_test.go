package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
)

// TestTLSALPN01OnlyForTheExactProtocol: wantsChallenge looks at protocol
// lengths first, so a protocol of acme-tls/1's length that is not it (a
// later version, another case: ALPN compares bytes, RFC 7301 §3.1) must
// still get the normal certificate, and acme-tls/1 offered after such a
// protocol must still get the challenge certificate.
func TestTLSALPN01OnlyForTheExactProtocol(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	require.NoError(t, c.PutChallenge(newChallenge("ch", solver.TLSALPN01, "a.example", testToken+".thumbprint")))
	normal, err := c.GetCertificate(hello("a.example"))
	require.NoError(t, err)
	challenge, err := c.GetCertificate(hello("a.example", acmeTLS1))
	require.NoError(t, err)
	require.NotSame(t, normal, challenge)

	for _, protos := range [][]string{
		{"acme-tls/2"},
		{"ACME-TLS/1"},
		{"h2", "acme-tls/0", "http/1.1"},
		{"acme-tls/1/"},
		{"acme-tls/"},
	} {
		got, err := c.GetCertificate(hello("a.example", protos...))
		require.NoError(t, err, "%q", protos)
		assert.Same(t, normal, got, "%q is not acme-tls/1: the normal certificate", protos)
	}
	for _, protos := range [][]string{
		{"acme-tls/2", acmeTLS1},
		{"h2", "acme-tls/0", "http/1.1", acmeTLS1},
	} {
		got, err := c.GetCertificate(hello("a.example", protos...))
		require.NoError(t, err, "%q", protos)
		assert.Same(t, challenge, got, "%q offers acme-tls/1: the challenge certificate", protos)
	}
}
