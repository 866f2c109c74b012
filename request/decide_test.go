package request

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func testCSR(t *testing.T, key crypto.Signer, tmpl pki.CSRTemplate) []byte {
	t.Helper()
	b, err := pki.CreateCSR(key, tmpl)
	require.NoError(t, err)
	return b
}

// testLeaf is a self-signed certificate for pub naming dnsNames and ips.
func testLeaf(t *testing.T, pub crypto.PublicKey, cn string, dnsNames []string, ips ...net.IP) []byte {
	t.Helper()
	signer := testKey(t)
	serial, err := pki.RandomSerial()
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, DNSNames: dnsNames, IPAddresses: ips,
		NotBefore: testNow, NotAfter: testNow.Add(time.Hour)}
	der, err := pki.SignCertificate(tmpl, pub, tmpl, signer)
	require.NoError(t, err)
	return pki.EncodeDER(der)
}

func approvedReq(csr []byte) *CertificateRequest {
	r := &CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r", UID: "uid-1"},
		Spec: Spec{Request: csr, IssuerRef: meta.IssuerRef{Name: "iss"}}}
	r.Status.Conditions.Set(meta.Condition{Type: meta.ConditionApproved, Status: meta.ConditionTrue, Reason: ReasonApproved})
	return r
}

func readyIssuer(spec issuer.Spec) issuer.Object {
	iss := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "iss"}, Spec: spec}
	iss.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: issuer.ReasonIsReady})
	return iss
}

func acmeIssuer() issuer.Object {
	return readyIssuer(issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://acme.example/dir", Profile: "tlsserver",
		PrivateKeySecretRef: meta.LocalRef{Name: "acct"}}})
}

func orderWith(state order.State, cert []byte) *order.Order {
	o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r-order"}}
	o.Status.State, o.Status.Certificate, o.Status.Reason = state, cert, "detail"
	return o
}

func ready(r *CertificateRequest) *meta.Condition {
	return r.Status.Conditions.Get(meta.ConditionReady)
}

// TestDecide is the request's decision table: one row per decision.
func TestDecide(t *testing.T) {
	key := testKey(t)
	other := testKey(t)
	csrAB := testCSR(t, key, pki.CSRTemplate{Subject: pkix.Name{CommonName: "A.example.com"},
		DNSNames: []string{"B.example.com", "a.example.com", "b.example.com."}, IPAddresses: []net.IP{net.ParseIP("192.0.2.7"), net.ParseIP("192.0.2.7")}})
	csrA := testCSR(t, key, pki.CSRTemplate{Subject: pkix.Name{CommonName: "a.example.com"}, DNSNames: []string{"a.example.com"}})
	csrCNOutside := testCSR(t, key, pki.CSRTemplate{Subject: pkix.Name{CommonName: "c.example.com"}, DNSNames: []string{"a.example.com"}})
	csrCNIP := testCSR(t, key, pki.CSRTemplate{Subject: pkix.Name{CommonName: "192.0.2.7"}, IPAddresses: []net.IP{net.ParseIP("192.0.2.7")}})
	u, _ := url.Parse("spiffe://example.test/web")
	csrURI := testCSR(t, key, pki.CSRTemplate{DNSNames: []string{"a.example.com"}, URIs: []*url.URL{u}})
	broken := []byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")
	leafA := testLeaf(t, key.Public(), "a.example.com", []string{"a.example.com"})
	leafANoCN := testLeaf(t, key.Public(), "", []string{"A.EXAMPLE.COM"})
	leafOtherKey := testLeaf(t, other.Public(), "a.example.com", []string{"a.example.com"})
	leafOtherName := testLeaf(t, key.Public(), "b.example.com", []string{"b.example.com"})
	leafExtraName := testLeaf(t, key.Public(), "a.example.com", []string{"a.example.com", "evil.example.com"})
	selfSigned := readyIssuer(issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}})
	notReady := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "iss"}, Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}}
	falseReady := &issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "iss"}, Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}}
	falseReady.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionFalse, Reason: "ErrGetKeyPair", Message: "secret missing"})

	issuedReq := approvedReq(csrA)
	issuedReq.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: ReasonIssued})
	unapproved := approvedReq(csrA)
	unapproved.Status.Conditions = nil
	unapprovedBroken := approvedReq(broken)
	unapprovedBroken.Status.Conditions = nil

	tests := []struct {
		name        string
		snap        Snapshot
		write       bool
		effect      effectKind
		reason      meta.Reason // Ready reason after the decision; "" if none
		readyTrue   bool
		final       bool
		msg         string // contained in the Ready message
		event       meta.Reason
		next        time.Time
		orderDNS    []string // the created Order's dnsNames, when one is created
		orderIPs    []string
		orderCN     string
		certificate bool
	}{
		{name: "issued request: nothing to do", snap: Snapshot{Request: issuedReq}, reason: ReasonIssued, readyTrue: true, final: true},
		{name: "unapproved: ask the approver", snap: Snapshot{Request: unapproved}, effect: effectApprove},
		{name: "unapproved broken CSR: invalid, failed", snap: Snapshot{Request: unapprovedBroken}, write: true, reason: ReasonFailed, final: true,
			msg: "spec.request", event: ReasonFailed},
		{name: "issuer missing: wait for it", snap: Snapshot{Request: approvedReq(csrA)}, write: true, reason: ReasonIssuerNotReady,
			msg: `Issuer "iss" not found`, next: testNow.Add(time.Minute)},
		{name: "issuer without Ready: wait", snap: Snapshot{Request: approvedReq(csrA), Issuer: notReady}, write: true, reason: ReasonIssuerNotReady,
			msg: "does not have a Ready status condition", next: testNow.Add(time.Minute)},
		{name: "issuer not ready: wait, say why", snap: Snapshot{Request: approvedReq(csrA), Issuer: falseReady}, write: true, reason: ReasonIssuerNotReady,
			msg: "ErrGetKeyPair: secret missing", next: testNow.Add(time.Minute)},
		{name: "selfSigned ready: sign", snap: Snapshot{Request: approvedReq(csrA), Issuer: selfSigned}, effect: effectSign},
		{name: "ACME: commonName outside the SANs fails before any Order (cert-manager's InvalidOrder)",
			snap: Snapshot{Request: approvedReq(csrCNOutside), Issuer: acmeIssuer()}, write: true, reason: ReasonFailed, final: true,
			msg: "requests a commonName that is not present in the list of dnsNames or ipAddresses", event: ReasonInvalidOrder},
		{name: "ACME: URI SANs cannot be ordered", snap: Snapshot{Request: approvedReq(csrURI), Issuer: acmeIssuer()}, write: true,
			reason: ReasonFailed, final: true, msg: "URI or email", event: ReasonFailed},
		{name: "ACME: Order from the SANs, canonical and deduplicated; the CN adds none",
			snap: Snapshot{Request: approvedReq(csrAB), Issuer: acmeIssuer()}, write: true, reason: ReasonOrderCreated, event: ReasonOrderCreated,
			orderDNS: []string{"a.example.com", "b.example.com"}, orderIPs: []string{"192.0.2.7"}, orderCN: "a.example.com"},
		{name: "ACME: an IP commonName that is an IP SAN", snap: Snapshot{Request: approvedReq(csrCNIP), Issuer: acmeIssuer()}, write: true,
			reason: ReasonOrderCreated, event: ReasonOrderCreated, orderIPs: []string{"192.0.2.7"}, orderCN: "192.0.2.7"},
		{name: "ACME: order pending", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StatePending, nil)},
			write: true, reason: ReasonPending, msg: `"pending": detail`},
		{name: "ACME: order valid without certificate yet", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StateValid, nil)},
			write: true, reason: ReasonPending, msg: "Waiting for order-controller to add certificate data"},
		{name: "ACME: order valid, leaf matches: issued", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StateValid, leafA)},
			write: true, reason: ReasonIssued, readyTrue: true, final: true, event: ReasonIssued, certificate: true},
		{name: "ACME: leaf without the CN and re-cased names still matches", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StateValid, leafANoCN)},
			write: true, reason: ReasonIssued, readyTrue: true, final: true, event: ReasonIssued, certificate: true},
		{name: "ACME: leaf for another key is not Issued", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StateValid, leafOtherKey)},
			write: true, reason: ReasonFailed, final: true, msg: "public key is not the CSR's", event: ReasonFailed},
		{name: "ACME: leaf for other names is not Issued", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StateValid, leafOtherName)},
			write: true, reason: ReasonFailed, final: true, msg: `lacks the DNS name "a.example.com"`, event: ReasonFailed},
		{name: "ACME: leaf with a name not requested is not Issued", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StateValid, leafExtraName)},
			write: true, reason: ReasonFailed, final: true, msg: `"evil.example.com", which was not requested`, event: ReasonFailed},
		{name: "ACME: unreadable certificate is not Issued", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StateValid, []byte("junk"))},
			write: true, reason: ReasonFailed, final: true, msg: "unreadable certificate", event: ReasonFailed},
		{name: "ACME: order invalid fails the request", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StateInvalid, nil)},
			write: true, reason: ReasonFailed, final: true, msg: `order is in "invalid" state: detail`, event: ReasonOrderFailed},
		{name: "ACME: order errored fails the request", snap: Snapshot{Request: approvedReq(csrA), Issuer: acmeIssuer(), Order: orderWith(order.StateErrored, nil)},
			write: true, reason: ReasonFailed, final: true, msg: `"errored"`, event: ReasonOrderFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.snap.Now = testNow
			before := *tt.snap.Request
			before.Status.Conditions = append(meta.Conditions(nil), tt.snap.Request.Status.Conditions...)
			d := decide(tt.snap, time.Minute)
			assert.Equal(t, before.Status, tt.snap.Request.Status, "decide does not change its input")
			req := d.plan.Object.(*CertificateRequest)
			assert.Equal(t, tt.write, d.plan.Write, "write")
			assert.Equal(t, tt.effect, d.effect, "effect")
			assert.Equal(t, tt.final, IsFinal(req), "final")
			assert.Equal(t, tt.next, d.plan.Next, "next")
			if c := ready(req); tt.reason == "" {
				assert.Nil(t, c)
			} else {
				require.NotNil(t, c)
				assert.Equal(t, tt.reason, c.Reason)
				assert.Equal(t, tt.readyTrue, c.Status == meta.ConditionTrue)
				assert.Contains(t, c.Message, tt.msg)
			}
			if tt.event == "" {
				assert.Empty(t, d.plan.Events)
			} else {
				require.Len(t, d.plan.Events, 1)
				assert.Equal(t, tt.event, d.plan.Events[0].Reason)
			}
			assert.Equal(t, tt.certificate, len(req.Status.Certificate) > 0, "certificate recorded")
			if tt.orderDNS == nil && tt.orderIPs == nil {
				assert.Empty(t, d.plan.Create)
				return
			}
			require.Len(t, d.plan.Create, 1)
			o := d.plan.Create[0].(*order.Order)
			assert.Equal(t, tt.orderDNS, o.Spec.DNSNames)
			assert.Equal(t, tt.orderIPs, o.Spec.IPAddresses)
			assert.Equal(t, tt.orderCN, o.Spec.CommonName)
			assert.Equal(t, "tlsserver", o.Spec.Profile)
			assert.Equal(t, order.Name("r", "uid-1", o.Spec), o.ObjectMeta.Name)
			assert.True(t, o.ObjectMeta.IsOwnedBy(meta.RefOf(req)))
		})
	}
}

func TestApproved(t *testing.T) {
	tests := []struct {
		name   string
		answer Decision
		cond   meta.ConditionType
		final  bool
		event  meta.Reason
	}{
		{"approved", Decision{Approved: true, Reason: "ok"}, meta.ConditionApproved, false, ReasonApproved},
		{"denied", Decision{Reason: "not on the list"}, meta.ConditionDenied, true, ReasonDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &CertificateRequest{}
			events := approved(req, tt.answer, testNow)
			assert.True(t, req.Status.Conditions.IsTrue(tt.cond))
			assert.Equal(t, tt.final, IsFinal(req))
			require.Len(t, events, 1)
			assert.Equal(t, tt.event, events[0].Reason)
		})
	}
}

// TestIssued covers the signing effect's outcome: a chain is recorded (and
// the request Issued) only when its leaf is the one the CSR asked for.
func TestIssued(t *testing.T) {
	key, other := testKey(t), testKey(t)
	csrPEM := testCSR(t, key, pki.CSRTemplate{Subject: pkix.Name{CommonName: "ca-only.example"}, DNSNames: []string{"a.example.com"},
		IPAddresses: []net.IP{net.ParseIP("2001:db8::1")}})
	csr, err := pki.ParseCSR(csrPEM)
	require.NoError(t, err)
	tests := []struct {
		name   string
		chain  []byte
		reason meta.Reason
		msg    string
	}{
		{"match", testLeaf(t, key.Public(), "ca-only.example", []string{"a.example.com"}, net.ParseIP("2001:db8::1")), ReasonIssued, "successfully"},
		{"CN copied into the SANs by the CA", testLeaf(t, key.Public(), "", []string{"a.example.com", "ca-only.example"}, net.ParseIP("2001:db8::1")), ReasonIssued, "successfully"},
		{"other key", testLeaf(t, other.Public(), "ca-only.example", []string{"a.example.com"}, net.ParseIP("2001:db8::1")), ReasonFailed, "public key"},
		{"IP missing", testLeaf(t, key.Public(), "ca-only.example", []string{"a.example.com"}), ReasonFailed, "lacks the IP address 2001:db8::1"},
		{"IP added", testLeaf(t, key.Public(), "", []string{"a.example.com"}, net.ParseIP("2001:db8::1"), net.ParseIP("192.0.2.1")), ReasonFailed, "192.0.2.1, which was not requested"},
		{"empty chain", nil, ReasonFailed, "unreadable certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &CertificateRequest{}
			events := issued(req, csr, tt.chain, []byte("ca"), testNow, nil)
			c := ready(req)
			require.NotNil(t, c)
			assert.Equal(t, tt.reason, c.Reason)
			assert.Contains(t, c.Message, tt.msg)
			require.Len(t, events, 1)
			assert.Equal(t, tt.reason == ReasonIssued, len(req.Status.Certificate) > 0)
			assert.True(t, IsFinal(req))
		})
	}
}
