package certificate

import (
	"crypto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// TestTriggerPolicyChain_CertManager ports Test_NewTriggerPolicyChain from
// cert-manager v1.21.1,
// internal/controller/certificates/policies/checks_test.go: each row's input
// and expected reason, message and decision, against certflow's chain in
// cert-manager's order (policies.go NewTriggerPolicyChain).
//
// Deviations, each marked on its row:
//   - messages that embed a parse error compare up to the error (certflow's
//     PEM errors are worded differently);
//   - renewal messages print the computed renewal time, not
//     status.renewalTime, so only their prefix is compared;
//   - the row "does not trigger renewal if renewal policy is disabled" is not
//     ported: certflow has no spec.renewal.
//
// The fake clock of the original is the zero time; certflow's rows use a
// fixed instant instead (X.509 cannot hold year 0 portably).
func TestTriggerPolicyChain_CertManager(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	static := testKey(t, "rsa-static", "RSA", 2048)
	other := testKey(t, "rsa-other", "RSA", 2048)
	ec521 := testKey(t, "ec-521", "ECDSA", 521)
	staticPEM := pemOf(t, static)
	cert := func(spec Spec) *Certificate { return &Certificate{Spec: spec} }
	sec := func(ann map[string]string, data map[string][]byte) *secret.Secret {
		return &secret.Secret{ObjectMeta: meta.ObjectMeta{Name: "something", Annotations: ann}, Data: data}
	}
	issuerAnn := map[string]string{secret.AnnotationIssuerName: "testissuer", secret.AnnotationIssuerKind: "IssuerKind", AnnotationIssuerGroup: "group.example.com"}
	issuerRef := meta.IssuerRef{Name: "testissuer", Kind: "IssuerKind", Group: "group.example.com"}
	req := func(key crypto.Signer, cn string) *request.CertificateRequest {
		return &request.CertificateRequest{Spec: request.Spec{IssuerRef: issuerRef, Request: csrFor(t, key, &Spec{CommonName: cn})}}
	}
	renewing := func(nb, na time.Time, renewBefore time.Duration) (*Certificate, *secret.Secret) {
		c := cert(Spec{CommonName: "example.com", IssuerRef: issuerRef, RenewBefore: &meta.Duration{Duration: renewBefore}})
		return c, sec(issuerAnn, map[string][]byte{secret.TLSKeyKey: staticPEM,
			secret.TLSCertKey: leafPEM(t, static, leafTemplate{cn: "example.com", nb: nb, na: na})})
	}

	type row struct {
		cert    *Certificate
		request *request.CertificateRequest
		secret  *secret.Secret
		reason  meta.Reason
		message string
		prefix  bool // deviation: compare the message up to its variable part
		reissue bool
	}
	rows := map[string]row{
		"trigger issuance if Secret is missing": {
			cert: cert(Spec{SecretName: "something"}), reason: ReasonDoesNotExist,
			message: "Issuing certificate as Secret does not exist", reissue: true},
		"trigger issuance as Secret does not contain any data": {
			cert: cert(Spec{SecretName: "something"}), secret: sec(nil, nil), reason: ReasonMissingData,
			message: "Issuing certificate as Secret does not contain any data", reissue: true},
		"trigger issuance as Secret is missing private key": {
			cert: cert(Spec{SecretName: "something"}), secret: sec(nil, map[string][]byte{secret.TLSCertKey: []byte("test")}),
			reason: ReasonMissingData, message: "Issuing certificate as Secret does not contain a private key", reissue: true},
		"trigger issuance as Secret is missing certificate": {
			cert: cert(Spec{SecretName: "something"}), secret: sec(nil, map[string][]byte{secret.TLSKeyKey: []byte("test")}),
			reason: ReasonMissingData, message: "Issuing certificate as Secret does not contain a certificate", reissue: true},
		"trigger issuance as Secret contains corrupt private key and certificate data": {
			cert:   cert(Spec{SecretName: "something"}),
			secret: sec(nil, map[string][]byte{secret.TLSKeyKey: []byte("test"), secret.TLSCertKey: []byte("test")}),
			reason: ReasonInvalidKeyPair, message: "Issuing certificate as Secret contains invalid private key data: ", prefix: true, reissue: true},
		"trigger issuance as Secret contains corrupt certificate data": {
			cert:   cert(Spec{SecretName: "something"}),
			secret: sec(nil, map[string][]byte{secret.TLSKeyKey: pemOf(t, other), secret.TLSCertKey: []byte("test")}),
			reason: ReasonInvalidCertificate, message: "Issuing certificate as Secret contains an invalid certificate: ", prefix: true, reissue: true},
		"trigger issuance as Secret contains corrupt private key data": {
			cert: cert(Spec{SecretName: "something"}),
			secret: sec(nil, map[string][]byte{secret.TLSKeyKey: []byte("invalid"),
				secret.TLSCertKey: leafPEM(t, other, leafTemplate{cn: "example.com"})}),
			reason: ReasonInvalidKeyPair, message: "Issuing certificate as Secret contains invalid private key data: ", prefix: true, reissue: true},
		"trigger issuance as Secret contains a non-matching key-pair": {
			cert: cert(Spec{SecretName: "something"}),
			secret: sec(nil, map[string][]byte{secret.TLSKeyKey: staticPEM,
				secret.TLSCertKey: leafPEM(t, other, leafTemplate{cn: "example.com"})}),
			reason: ReasonInvalidKeyPair, message: "Issuing certificate as Secret contains a private key that does not match the certificate", reissue: true},
		"trigger issuance as Secret has old or incorrect 'issuer name' annotation": {
			cert: cert(Spec{SecretName: "something", IssuerRef: meta.IssuerRef{Name: "testissuer"}}),
			secret: sec(map[string]string{secret.AnnotationIssuerName: "oldissuer"}, map[string][]byte{secret.TLSKeyKey: staticPEM,
				secret.TLSCertKey: leafPEM(t, static, leafTemplate{cn: "example.com"})}),
			reason: ReasonIncorrectIssuer, message: `Issuing certificate as Secret was previously issued by "Issuer.cert-manager.io/oldissuer"`, reissue: true},
		"trigger issuance as Secret has old or incorrect 'issuer kind' annotation": {
			cert: cert(Spec{SecretName: "something", IssuerRef: meta.IssuerRef{Name: "testissuer", Kind: "NewIssuerKind"}}),
			secret: sec(map[string]string{secret.AnnotationIssuerName: "testissuer", secret.AnnotationIssuerKind: "OldIssuerKind"},
				map[string][]byte{secret.TLSKeyKey: staticPEM, secret.TLSCertKey: leafPEM(t, static, leafTemplate{cn: "example.com"})}),
			reason: ReasonIncorrectIssuer, message: `Issuing certificate as Secret was previously issued by "OldIssuerKind.cert-manager.io/testissuer"`, reissue: true},
		"trigger issuance as Secret has old or incorrect 'issuer group' annotation": {
			cert: cert(Spec{SecretName: "something", IssuerRef: meta.IssuerRef{Name: "testissuer", Kind: "IssuerKind", Group: "old.example.com"}}),
			secret: sec(map[string]string{secret.AnnotationIssuerName: "testissuer", secret.AnnotationIssuerKind: "IssuerKind", AnnotationIssuerGroup: "new.example.com"},
				map[string][]byte{secret.TLSKeyKey: staticPEM, secret.TLSCertKey: leafPEM(t, static, leafTemplate{cn: "example.com"})}),
			reason: ReasonIncorrectIssuer, message: `Issuing certificate as Secret was previously issued by "IssuerKind.new.example.com/testissuer"`, reissue: true},
		"trigger issuance as private key properties do not meet the requested properties": {
			cert: cert(Spec{SecretName: "something"}),
			secret: sec(nil, map[string][]byte{secret.TLSKeyKey: pemOf(t, ec521),
				secret.TLSCertKey: leafPEM(t, ec521, leafTemplate{cn: "example.com"})}),
			reason: ReasonSecretMismatch, message: "Existing private key is not up to date for spec: [spec.privateKey.algorithm]", reissue: true},
		"trigger if the Secret contains a different private key than was used to sign the CSR": {
			cert: cert(Spec{SecretName: "something"}),
			secret: sec(nil, map[string][]byte{secret.TLSKeyKey: staticPEM,
				secret.TLSCertKey: leafPEM(t, static, leafTemplate{cn: "example.com"})}),
			request: &request.CertificateRequest{Spec: request.Spec{IssuerRef: issuerRef, Request: csrFor(t, other, &Spec{CommonName: "example.com"})}},
			reason:  ReasonSecretMismatch, message: "Secret contains a private key that does not match the current CertificateRequest", reissue: true},
		"trigger issuance when CertificateRequest does not match certificate spec": {
			cert: cert(Spec{CommonName: "new.example.com", IssuerRef: issuerRef}),
			secret: sec(issuerAnn, map[string][]byte{secret.TLSKeyKey: staticPEM,
				secret.TLSCertKey: leafPEM(t, static, leafTemplate{cn: "does-not-matter.example.com"})}),
			request: req(static, "old.example.com"),
			reason:  ReasonRequestChanged, message: "Fields on existing CertificateRequest resource not up to date: [spec.commonName]", reissue: true},
		"do nothing if CertificateRequest matches spec": {
			cert: cert(Spec{CommonName: "example.com", IssuerRef: issuerRef}),
			secret: sec(issuerAnn, map[string][]byte{secret.TLSKeyKey: staticPEM,
				secret.TLSCertKey: leafPEM(t, static, leafTemplate{cn: "does-not-matter.example.com"})}),
			request: req(static, "example.com")},
		"compare signed x509 certificate in Secret with spec if CertificateRequest does not exist": {
			cert: cert(Spec{CommonName: "new.example.com", IssuerRef: issuerRef}),
			secret: sec(issuerAnn, map[string][]byte{secret.TLSKeyKey: staticPEM,
				secret.TLSCertKey: leafPEM(t, static, leafTemplate{cn: "old.example.com"})}),
			reason: ReasonSecretMismatch, message: "Issuing certificate as Existing issued Secret is not up to date for spec: [spec.commonName]", reissue: true},
		"do nothing if signed x509 certificate in Secret matches spec (when request does not exist)": {
			cert: cert(Spec{CommonName: "example.com", IssuerRef: issuerRef}),
			secret: sec(issuerAnn, map[string][]byte{secret.TLSKeyKey: staticPEM,
				secret.TLSCertKey: leafPEM(t, static, leafTemplate{cn: "example.com"})})},
	}
	// Renewal rows: the Secret's certificate carries the validity, the spec renewBefore.
	c, s := renewing(now.Add(-30*time.Minute), now.Add(time.Minute), 5*time.Minute)
	rows["trigger renewal if renewalTime is right now"] = row{cert: c, secret: s, reason: ReasonRenewing,
		message: "Renewing certificate as renewal was scheduled at", prefix: true, reissue: true}
	c, s = renewing(now.Add(-30*time.Minute), now.Add(time.Minute), 5*time.Minute)
	rows["trigger renewal if renewalTime is in the past"] = row{cert: c, secret: s, reason: ReasonRenewing,
		message: "Renewing certificate as renewal was scheduled at", prefix: true, reissue: true}
	c, s = renewing(now, now.Add(30*time.Minute), time.Minute)
	rows["does not trigger renewal if the x509 cert has been re-issued, but Certificate's renewal time has not been updated yet"] = row{cert: c, secret: s}
	c, s = renewing(now.Add(-30*time.Minute), now.Add(5*time.Minute), time.Minute)
	rows["does not trigger renewal if renewal time is in 1 minute"] = row{cert: c, secret: s}

	agree := 0
	for name, tt := range rows {
		t.Run(name, func(t *testing.T) {
			trig, reissue := IssuanceTrigger(Input{Cert: tt.cert, Secret: tt.secret, CurrentRequest: tt.request, Now: now})
			ok := assert.Equal(t, tt.reissue, reissue)
			ok = assert.Equal(t, tt.reason, trig.Reason) && ok
			if tt.prefix {
				ok = assert.True(t, strings.HasPrefix(trig.Message, tt.message), "message %q", trig.Message) && ok
			} else {
				ok = assert.Equal(t, tt.message, trig.Message) && ok
			}
			if ok {
				agree++
			}
		})
	}
	t.Logf("cert-manager Test_NewTriggerPolicyChain: %d rows ported, %d agree", len(rows), agree)
}

// TestSecretCertificateNameAnnotationMismatch_CertManager ports
// Test_SecretCertificateNameAnnotationsMismatch from cert-manager v1.21.1,
// internal/controller/certificates/policies/checks_test.go (3 rows).
func TestSecretCertificateNameAnnotationMismatch_CertManager(t *testing.T) {
	crt := &Certificate{ObjectMeta: meta.ObjectMeta{Name: "test-certificate"}}
	rows := map[string]struct {
		ann       map[string]string
		reason    meta.Reason
		message   string
		violation bool
	}{
		"without a CertificateName annotation, should return false":       {},
		"with a matching CertificateName annotation, should return false": {ann: map[string]string{secret.AnnotationCertificateName: "test-certificate"}},
		"with a non-matching CertificateName annotation, should return true": {ann: map[string]string{secret.AnnotationCertificateName: "foo"},
			reason:    ReasonIncorrectCertificate,
			message:   `Secret was issued for "foo". If this message is not transient, you might have two conflicting Certificates pointing to the same secret.`,
			violation: true},
	}
	for name, tt := range rows {
		t.Run(name, func(t *testing.T) {
			got, violation := secretCertificateNameAnnotationMismatch(Input{Cert: crt, Secret: &secret.Secret{ObjectMeta: meta.ObjectMeta{Annotations: tt.ann}}}, nil)
			assert.Equal(t, tt.violation, violation)
			assert.Equal(t, tt.reason, got.Reason)
			assert.Equal(t, tt.message, got.Message)
		})
	}
}
