package serve

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

const testToken = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"

func newChallenge(name string, typ solver.Type, id, keyAuth string) *challenge.Challenge {
	return &challenge.Challenge{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: name},
		Spec: challenge.Spec{
			DNSName: id,
			Type:    typ,
			Token:   testToken,
			Key:     keyAuth,
		},
		Status: challenge.Status{State: challenge.StatePending, Presented: true},
	}
}

func challengeRef(name string) meta.Ref {
	return meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: name}
}

// verifyChallengeCert checks cert against RFC 8737 §3 for identifier and keyAuth.
func verifyChallengeCert(t *testing.T, cert *x509.Certificate, identifier, keyAuth string) {
	t.Helper()
	if ip, err := netip.ParseAddr(identifier); err == nil {
		require.Len(t, cert.IPAddresses, 1)
		assert.Empty(t, cert.DNSNames)
		got, ok := netip.AddrFromSlice(cert.IPAddresses[0])
		require.True(t, ok)
		assert.Equal(t, ip, got.Unmap())
	} else {
		assert.Equal(t, []string{identifier}, cert.DNSNames)
		assert.Empty(t, cert.IPAddresses)
	}
	require.NoError(t, cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature), "self-signed")
	want := sha256.Sum256([]byte(keyAuth))
	found := 0
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}) {
			continue
		}
		found++
		assert.True(t, ext.Critical, "acmeIdentifier must be critical")
		var digest []byte
		rest, err := asn1.Unmarshal(ext.Value, &digest)
		require.NoError(t, err)
		assert.Empty(t, rest)
		assert.Equal(t, want[:], digest)
	}
	assert.Equal(t, 1, found, "exactly one acmeIdentifier extension")
}

func TestTLSALPN01ChallengeCertificate(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	const keyAuth = testToken + ".thumbprint"
	require.NoError(t, c.PutChallenge(newChallenge("ch", solver.TLSALPN01, "A.Example.", keyAuth)))

	alpn, err := c.GetCertificate(hello("a.example", acmeTLS1))
	require.NoError(t, err)
	verifyChallengeCert(t, alpn.Leaf, "a.example", keyAuth)

	normal, err := c.GetCertificate(hello("a.example", "h2", "http/1.1"))
	require.NoError(t, err)
	assert.NotSame(t, alpn, normal)
	assert.Equal(t, []string{"a.example"}, leafOf(t, normal).DNSNames)
	assert.NoError(t, leafOf(t, normal).CheckSignatureFrom(ca.cert), "the normal hello gets the CA-issued leaf")

	t.Run("mixed case SNI", func(t *testing.T) {
		got, err := c.GetCertificate(hello("A.EXAMPLE", acmeTLS1))
		require.NoError(t, err)
		assert.Same(t, alpn, got)
	})
	t.Run("acme-tls/1 among other protocols", func(t *testing.T) {
		got, err := c.GetCertificate(hello("a.example", "h2", acmeTLS1))
		require.NoError(t, err)
		assert.Same(t, alpn, got)
	})
}

func TestTLSALPN01IPIdentifier(t *testing.T) {
	c := NewCache(Options{})
	const keyAuth = testToken + ".ip"
	require.NoError(t, c.PutChallenge(newChallenge("ch", solver.TLSALPN01, "2001:DB8::1", keyAuth)))

	for name, h := range map[string]*tls.ClientHelloInfo{
		"reverse name SNI (RFC 8738)": hello("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", acmeTLS1),
		"no SNI, local address":       helloOn("2001:db8::1", acmeTLS1),
		"IP literal SNI":              hello("2001:db8::1", acmeTLS1),
	} {
		t.Run(name, func(t *testing.T) {
			cert, err := c.GetCertificate(h)
			require.NoError(t, err)
			verifyChallengeCert(t, cert.Leaf, "2001:db8::1", keyAuth)
		})
	}
}

func TestTLSALPN01NeverServesNormalCertificate(t *testing.T) {
	ca := newTestCA(t)
	c := NewCache(Options{})
	require.NoError(t, c.PutSecret(ca.secretFor(t, "ns", "web", leaf{dns: []string{"a.example"}})))
	cert, err := c.GetCertificate(hello("a.example", acmeTLS1))
	require.ErrorIs(t, err, ErrNoChallenge)
	assert.Nil(t, cert)
}

func TestPutChallengeServability(t *testing.T) {
	const keyAuth = testToken + ".k"
	tests := []struct {
		name      string
		mutate    func(*challenge.Challenge)
		wantALPN  bool
		wantToken bool
		wantErr   error
	}{
		{"pending tls-alpn-01", func(*challenge.Challenge) {}, true, false, nil},
		{"not yet presented", func(ch *challenge.Challenge) { ch.Status = challenge.Status{} }, true, false, nil},
		{"processing", func(ch *challenge.Challenge) { ch.Status.State = challenge.StateProcessing }, true, false, nil},
		{"valid is final", func(ch *challenge.Challenge) { ch.Status.State = challenge.StateValid }, false, false, nil},
		{"invalid is final", func(ch *challenge.Challenge) { ch.Status.State = challenge.StateInvalid }, false, false, nil},
		{"errored is final", func(ch *challenge.Challenge) { ch.Status.State = challenge.StateErrored }, false, false, nil},
		{"cleaned up", func(ch *challenge.Challenge) { ch.Status.CleanedUp = true }, false, false, nil},
		{"dns-01 ignored", func(ch *challenge.Challenge) { ch.Spec.Type = solver.DNS01 }, false, false, nil},
		{"http-01 serves token only", func(ch *challenge.Challenge) { ch.Spec.Type = solver.HTTP01 }, false, true, nil},
		{"http-01 final", func(ch *challenge.Challenge) {
			ch.Spec.Type = solver.HTTP01
			ch.Status.State = challenge.StateExpired
		}, false, false, nil},
		{"no identifier", func(ch *challenge.Challenge) { ch.Spec.DNSName = "" }, false, false, ErrInvalidChallenge},
		{"no key authorization", func(ch *challenge.Challenge) { ch.Spec.Key = "" }, false, false, ErrInvalidChallenge},
		{"wildcard", func(ch *challenge.Challenge) { ch.Spec.Wildcard = true }, false, false, ErrInvalidChallenge},
		{"http-01 bad token", func(ch *challenge.Challenge) {
			ch.Spec.Type = solver.HTTP01
			ch.Spec.Token = "../../etc/passwd-aaaaaaaaaaaaaaa"
		}, false, false, ErrInvalidChallenge},
		{"http-01 short token", func(ch *challenge.Challenge) {
			ch.Spec.Type = solver.HTTP01
			ch.Spec.Token = "abc"
		}, false, false, ErrInvalidChallenge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache(Options{})
			ch := newChallenge("ch", solver.TLSALPN01, "a.example", keyAuth)
			tt.mutate(ch)
			err := c.PutChallenge(ch)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			_, err = c.GetCertificate(hello("a.example", acmeTLS1))
			assert.Equal(t, tt.wantALPN, err == nil, "tls-alpn-01 served: %v", err)
			ka, id, ok := c.KeyAuthorization(testToken)
			assert.Equal(t, tt.wantToken, ok)
			if tt.wantToken {
				assert.Equal(t, keyAuth, ka)
				assert.Equal(t, "a.example", id)
			}
		})
	}
}

func TestPutChallengeLifecycle(t *testing.T) {
	c := NewCache(Options{})
	ch := newChallenge("ch", solver.TLSALPN01, "a.example", testToken+".k")
	require.NoError(t, c.PutChallenge(ch))
	first, err := c.GetCertificate(hello("a.example", acmeTLS1))
	require.NoError(t, err)

	t.Run("re-put with a status change reuses the certificate", func(t *testing.T) {
		ch.Status.Accepted = true
		require.NoError(t, c.PutChallenge(ch))
		got, err := c.GetCertificate(hello("a.example", acmeTLS1))
		require.NoError(t, err)
		assert.Same(t, first, got)
	})
	t.Run("a second challenge for the same name wins while it exists", func(t *testing.T) {
		other := newChallenge("other", solver.TLSALPN01, "a.example", testToken+".other")
		require.NoError(t, c.PutChallenge(other))
		got, err := c.GetCertificate(hello("a.example", acmeTLS1))
		require.NoError(t, err)
		verifyChallengeCert(t, got.Leaf, "a.example", testToken+".other")
		c.DeleteChallenge(challengeRef("other"))
		got, err = c.GetCertificate(hello("a.example", acmeTLS1))
		require.NoError(t, err)
		assert.Same(t, first, got)
	})
	t.Run("becoming final stops serving", func(t *testing.T) {
		ch.Status.State = challenge.StateValid
		require.NoError(t, c.PutChallenge(ch))
		_, err := c.GetCertificate(hello("a.example", acmeTLS1))
		assert.ErrorIs(t, err, ErrNoChallenge)
		assert.Empty(t, c.challenges.Load().byRef)
	})
	t.Run("delete of unknown challenge is a no-op", func(t *testing.T) {
		snap := c.challenges.Load()
		c.DeleteChallenge(challengeRef("never"))
		assert.Same(t, snap, c.challenges.Load())
	})
}
