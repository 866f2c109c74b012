package manifest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
)

func TestEncodeDecodeRoundTripsTestdata(t *testing.T) {
	for _, name := range []string{
		"seed.yaml", "selfsigned-issuer.yaml", "ca-issuer.yaml", "acme-issuer-eab.yaml",
		"certificate-full.yaml", "list.json", "cert-manager-extra-fields.yaml",
	} {
		t.Run(name, func(t *testing.T) {
			objs := decodeFile(t, name)
			require.NotEmpty(t, objs)
			y, err := EncodeAll(objs...)
			require.NoError(t, err)
			again, err := DecodeStrict(y)
			require.NoError(t, err, "encoded manifest:\n%s", y)
			assert.Equal(t, objs, again)
		})
	}
}

func TestEncodeDecodeRoundTripsEveryKind(t *testing.T) {
	now := time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)
	rev := 2
	objs := []meta.Object{
		&request.CertificateRequest{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web-3", UID: "u1", ResourceVersion: "7", Generation: 1,
				OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "default", Name: "web"}}, CreationTime: &now},
			Spec: request.Spec{
				Request:   []byte("-----BEGIN CERTIFICATE REQUEST-----\nx\n-----END CERTIFICATE REQUEST-----\n"),
				IssuerRef: meta.IssuerRef{Name: "le", Kind: meta.KindClusterIssuer},
				Duration:  &meta.Duration{Duration: 48 * time.Hour},
				Usages:    []string{"digital signature"},
				Extra:     map[string][]string{"k": {"v"}},
			},
			Status: request.Status{Conditions: meta.Conditions{{
				Type: meta.ConditionApproved, Status: meta.ConditionTrue, Reason: request.ReasonApproved, LastTransitionTime: now,
			}}},
		},
		&order.Order{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web-3-123"},
			Spec:       order.Spec{Request: []byte{0, 1, 2}, IssuerRef: meta.IssuerRef{Name: "le"}, DNSNames: []string{"a.example"}},
			Status: order.Status{URL: "https://ca/order/1", State: order.StatePending, Authorizations: []order.Authorization{{
				URL: "https://ca/authz/1", Identifier: "a.example", Wildcard: true, InitialState: order.StatePending,
				Challenges: []order.ACMEChallenge{{URL: "https://ca/chall/1", Token: "tok", Type: "dns-01"}},
			}}},
		},
		&challenge.Challenge{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web-3-123-456"},
			Spec: challenge.Spec{URL: "https://ca/chall/1", DNSName: "a.example", Type: solver.DNS01, Token: "tok", Key: "tok.thumb",
				Solver: solver.Config{DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{
					SolverName: "cloudflare", Config: []byte(`{"zone":"example"}`)}}}},
			Status: challenge.Status{Presented: true, PresentedAt: &now, State: challenge.StatePending},
		},
		&secret.Secret{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web-tls",
				Annotations: map[string]string{secret.AnnotationCertificateName: "web"}},
			Type: secret.TypeTLS,
			Data: map[string][]byte{secret.TLSCertKey: []byte("crt"), secret.TLSKeyKey: []byte("key")},
		},
		&certificate.Certificate{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web"},
			Spec:       certificate.Spec{SecretName: "web-tls", IssuerRef: meta.IssuerRef{Name: "le"}, DNSNames: []string{"a.example"}},
			Status: certificate.Status{Revision: &rev, NotAfter: &now, Conditions: meta.Conditions{{
				Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: certificate.ReasonReady, LastTransitionTime: now, ObservedGeneration: 3,
			}}},
		},
		&meta.Event{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web.0123456789abcdef",
				OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "default", Name: "web"}}},
			Object: meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "web"},
			Type:   meta.EventWarning, Reason: certificate.ReasonFailed, Message: "the CA said no",
			Time: now, FirstTime: now.Add(-time.Hour), Count: 3, ReportingInstance: "a1",
		},
	}
	y, err := EncodeAll(objs...)
	require.NoError(t, err)
	for _, o := range objs {
		assert.Empty(t, typeMetaOf(t, o), "Encode leaves its input alone")
	}
	got, err := DecodeStrict(y)
	require.NoError(t, err, "encoded:\n%s", y)
	require.Len(t, got, len(objs))
	for i, o := range objs {
		setTypeMeta(t, o)
		assert.Equal(t, o, got[i], "object %d (%s)", i, o.GetKind())
	}
}

func TestEncodeWritesHeaderAndOmitsEmptyStatus(t *testing.T) {
	c := &certificate.Certificate{
		TypeMeta:   meta.TypeMeta{APIVersion: "wrong/v9", Kind: "Wrong"},
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web"},
		Spec:       certificate.Spec{SecretName: "web-tls", IssuerRef: meta.IssuerRef{Name: "le"}, DNSNames: []string{"*.example.com"}},
	}
	y, err := Encode(c)
	require.NoError(t, err)
	s := string(y)
	assert.True(t, strings.HasPrefix(s, "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n"), s)
	assert.NotContains(t, s, "status")
	assert.Contains(t, s, "- '*.example.com'")
	assert.Equal(t, meta.TypeMeta{APIVersion: "wrong/v9", Kind: "Wrong"}, c.TypeMeta, "input not modified")

	y, err = Encode(&secret.Secret{ObjectMeta: meta.ObjectMeta{Name: "s"}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(y), "apiVersion: v1\nkind: Secret\n"), string(y))
	y, err = Encode(&order.Order{ObjectMeta: meta.ObjectMeta{Name: "o"}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(y), "apiVersion: acme.cert-manager.io/v1\nkind: Order\n"), string(y))
}

type foreign struct{ M meta.ObjectMeta }

func (f *foreign) GetKind() meta.Kind        { return "Foreign" }
func (f *foreign) GetMeta() *meta.ObjectMeta { return &f.M }

func TestEncodeRejectsNilAndUnknownKinds(t *testing.T) {
	_, err := Encode(nil)
	require.ErrorIs(t, err, ErrEncode)
	_, err = Encode(&foreign{})
	require.ErrorIs(t, err, ErrEncode)
	assert.Contains(t, err.Error(), `kind "Foreign" has no apiVersion`)
	_, err = EncodeAll(&secret.Secret{}, &foreign{})
	require.ErrorIs(t, err, ErrEncode)
	assert.Contains(t, err.Error(), "(object 1)")
}

func typeMetaOf(t *testing.T, o meta.Object) meta.TypeMeta {
	t.Helper()
	switch v := o.(type) {
	case *request.CertificateRequest:
		return v.TypeMeta
	case *order.Order:
		return v.TypeMeta
	case *challenge.Challenge:
		return v.TypeMeta
	case *secret.Secret:
		return v.TypeMeta
	case *certificate.Certificate:
		return v.TypeMeta
	case *meta.Event:
		return v.TypeMeta
	}
	t.Fatalf("unexpected %T", o)
	return meta.TypeMeta{}
}

func setTypeMeta(t *testing.T, o meta.Object) {
	t.Helper()
	tm := meta.TypeMeta{APIVersion: o.GetKind().APIVersion(), Kind: o.GetKind()}
	switch v := o.(type) {
	case *request.CertificateRequest:
		v.TypeMeta = tm
	case *order.Order:
		v.TypeMeta = tm
	case *challenge.Challenge:
		v.TypeMeta = tm
	case *secret.Secret:
		v.TypeMeta = tm
	case *certificate.Certificate:
		v.TypeMeta = tm
	case *meta.Event:
		v.TypeMeta = tm
	default:
		t.Fatalf("unexpected %T", o)
	}
}
