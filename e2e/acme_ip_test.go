package e2e

import (
	"crypto/tls"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// ipProfiles is Pebble playing Let's Encrypt: IP addresses only in the
// 160-hour "shortlived" profile, never in "classic".
func ipProfiles() []acmetest.Option {
	return []acmetest.Option{acmetest.WithIPProfiles("shortlived"),
		acmetest.WithProfile("classic", acmetest.Profile{Description: "90 days"}),
		acmetest.WithProfile("shortlived", acmetest.Profile{Description: "160 hours", ValidityPeriod: 160 * time.Hour})}
}

// ipCertificate is a Certificate for 127.0.0.1 alone, from issuer.
func ipCertificate(name, issuer string) *certificate.Certificate {
	crt := testrig.ACMECertificate("default", name, issuer)
	crt.Spec.IPAddresses = []string{"127.0.0.1"}
	return crt
}

// An IP-address certificate validated by TLS-ALPN-01 (Pebble's validator
// sends the reverse-DNS name as SNI, RFC 8738 §6) in the profile that
// allows IPs, served to a client that connects to 127.0.0.1 and so sends
// no SNI — even with a DefaultServerName set — and verified for the IP.
func TestACME_IPAddress_TLSALPN01_ServedWithoutSNI(t *testing.T) {
	h := startACME(t, acmeSetup{acmeOpts: ipProfiles(),
		config: func(c *certflow.Config) { c.DefaultServerName = "default.example.test" }})
	iss := h.acme.Issuer("default", "short", solver.Config{TLSALPN01: &solver.TLSALPN01Config{}})
	iss.Spec.ACME.Profile = "shortlived"
	c := h.issue(iss, ipCertificate("ip", "short"))

	leaf := secretLeaf(t, h, "default", c.Spec.SecretName)
	require.Len(t, leaf.IPAddresses, 1)
	assert.True(t, leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)))
	assert.Empty(t, leaf.DNSNames)
	assert.Equal(t, 160*time.Hour, leaf.NotAfter.Sub(leaf.NotBefore).Round(time.Hour))
	recs := h.acme.NewOrders()
	require.Len(t, recs, 1)
	assert.Equal(t, []string{"127.0.0.1"}, recs[0].Identifiers)
	assert.Equal(t, "shortlived", recs[0].Profile)

	// A client dialing an IP literal sends no SNI (RFC 6066 §3) and
	// verifies the IP SAN.
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(h.acme.TLSPort))
	var sawSNI []string
	conn, err := (&tls.Dialer{Config: &tls.Config{ServerName: "127.0.0.1", RootCAs: h.acme.Roots(), MinVersion: tls.VersionTLS12,
		VerifyConnection: func(cs tls.ConnectionState) error { sawSNI = append(sawSNI, cs.ServerName); return nil }}}).DialContext(h.ctx, "tcp", addr)
	require.NoError(t, err, "a verified handshake by IP")
	defer conn.Close()
	st := conn.(*tls.Conn).ConnectionState()
	assert.Equal(t, leaf.SerialNumber, st.PeerCertificates[0].SerialNumber)
	assert.Equal(t, []string{""}, sawSNI, "the client sent no SNI")
	// Nothing is served for the default name: the local address chose.
	_, err = h.m.GetCertificate(&tls.ClientHelloInfo{})
	assert.Error(t, err)
}

// HTTP-01 validates an IP address too (Pebble connects to the IP itself).
func TestACME_IPAddress_HTTP01_InShortLivedProfile(t *testing.T) {
	h := startACME(t, acmeSetup{acmeOpts: ipProfiles()})
	iss := h.acme.Issuer("default", "short")
	iss.Spec.ACME.Profile = "shortlived"
	c := h.issue(iss, ipCertificate("ip-http", "short"))
	leaf := secretLeaf(t, h, "default", c.Spec.SecretName)
	require.Len(t, leaf.IPAddresses, 1)
	assert.Equal(t, leaf.SerialNumber, h.handshake("127.0.0.1").PeerCertificates[0].SerialNumber)
}

// A profile that does not allow IP addresses: the CA's rejectedIdentifier
// fails the order, and the failure says what to do — before any challenge.
func TestACME_IPAddress_ProfileWithoutIPsFailsClearly(t *testing.T) {
	h := startACME(t, acmeSetup{acmeOpts: ipProfiles()})
	iss := h.acme.Issuer("default", "classic")
	iss.Spec.ACME.Profile = "classic"
	require.NoError(t, h.m.Apply(h.ctx, iss))
	crt := ipCertificate("ip-classic", "classic")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	err := h.m.WaitReady(h.ctx, meta.RefOf(crt))
	var fe *certflow.FailedError
	require.ErrorAs(t, err, &fe)
	assert.ErrorIs(t, err, certflow.ErrIssuanceFailed)
	assert.Equal(t, meta.KindOrder, fe.Resource.Kind)
	for _, want := range []string{"rejectedIdentifier", `IP address 127.0.0.1 with profile "classic"`, `only "shortlived"`, "acme.certflow.io/profile"} {
		assert.Contains(t, fe.Message, want)
	}
	o := orderOf(t, h, "default", "ip-classic-1")
	assert.Equal(t, order.StateErrored, o.Status.State)
	require.NotNil(t, o.Status.Problem)
	assert.Equal(t, "urn:ietf:params:acme:error:rejectedIdentifier", o.Status.Problem.Type)
	assert.Zero(t, h.acme.Requests(acmetest.EndpointChallenge), "nothing validated")
}

// An issuer that can only solve DNS-01 cannot get an IP address validated
// (RFC 8738): Apply refuses the Certificate with a typed error and stores
// nothing.
func TestACME_IPAddress_DNS01OnlyIssuerRefusedAtApply(t *testing.T) {
	h := startACME(t, acmeSetup{})
	dns := solver.Config{DNS01: &solver.DNS01Config{RFC2136: &solver.RFC2136Config{Nameserver: "127.0.0.1:53"}}}
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "dns-only", dns)))
	crt := ipCertificate("ip-dns", "dns-only")
	crt.Spec.DNSNames = []string{"ip-dns.example.test"}
	err := h.m.Apply(h.ctx, crt)
	require.ErrorIs(t, err, certflow.ErrInvalid)
	require.ErrorIs(t, err, certflow.ErrIPNeedsHTTPOrTLSALPN)
	var ipe *certflow.IPSolverError
	require.ErrorAs(t, err, &ipe)
	assert.Equal(t, "spec.ipAddresses[0]", ipe.Field)
	assert.Equal(t, "127.0.0.1", ipe.IP)
	assert.Equal(t, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "dns-only"}, ipe.Issuer)
	assert.ErrorIs(t, h.m.Get(h.ctx, meta.RefOf(crt), &certificate.Certificate{}), store.ErrNotFound, "nothing stored")

	// An HTTP-01 solver for the IP beside the DNS-01 one: accepted.
	http := solver.Config{HTTP01: &solver.HTTP01Config{}, Selector: &solver.Selector{DNSNames: []string{"127.0.0.1"}}}
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "dns-only", dns, http)))
	require.NoError(t, h.m.Apply(h.ctx, crt))
}
