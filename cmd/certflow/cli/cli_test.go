package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// TestHumanDuration follows kubectl's AGE column
// (k8s.io/apimachinery/pkg/util/duration.HumanDuration) at each boundary.
func TestHumanDuration(t *testing.T) {
	const day, year = 24 * time.Hour, 365 * 24 * time.Hour
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-3 * time.Second, "<invalid>"},
		{-2 * time.Second, "<invalid>"},
		{-1500 * time.Millisecond, "0s"},
		{0, "0s"},
		{59 * time.Second, "59s"},
		{119 * time.Second, "119s"},
		{2 * time.Minute, "2m"},
		{2*time.Minute + 5*time.Second, "2m5s"},
		{9*time.Minute + 59*time.Second, "9m59s"},
		{10*time.Minute + 30*time.Second, "10m"},
		{179 * time.Minute, "179m"},
		{3 * time.Hour, "3h"},
		{3*time.Hour + 7*time.Minute, "3h7m"},
		{8*time.Hour + 59*time.Minute, "8h"},
		{47 * time.Hour, "47h"},
		{48 * time.Hour, "2d"},
		{2*day + 5*time.Hour, "2d5h"},
		{8*day + 5*time.Hour, "8d"},
		{400 * day, "400d"},
		{2 * year, "2y"},
		{2*year + 10*day, "2y10d"},
		{8*year + 10*day, "8y"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, humanDuration(tt.d), "%v", tt.d)
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
		ok   bool
	}{
		{"", nil, true},
		{"app=web", map[string]string{"app": "web"}, true},
		{"app==web, tier=front", map[string]string{"app": "web", "tier": "front"}, true},
		{"app=", map[string]string{"app": ""}, true},
		{"app!=web", nil, false},
		{"app", nil, false},
		{"app in (web)", nil, false},
		{"=web", nil, false},
	}
	for _, tt := range tests {
		got, err := parseSelector(tt.in)
		if !tt.ok {
			assert.True(t, isUsage(err), "%q: %v", tt.in, err)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestLookupKind(t *testing.T) {
	for in, want := range map[string]meta.Kind{
		"certificates": meta.KindCertificate, "cert": meta.KindCertificate, "Certificate": meta.KindCertificate,
		"certificates.cert-manager.io": meta.KindCertificate, "cr": meta.KindCertificateRequest,
		"ciss": meta.KindClusterIssuer, "iss": meta.KindIssuer, "orders.acme.cert-manager.io": meta.KindOrder,
		"challenge": meta.KindChallenge, "secrets": meta.KindSecret,
	} {
		r, err := lookupKind(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, r.kind, in)
		assert.Equal(t, want, r.new().GetKind(), "%s makes its own type", in)
	}
	_, err := lookupKind("secrets.cert-manager.io")
	assert.True(t, isUsage(err), "the core group has no suffix")
	for _, r := range resources {
		assert.NotNil(t, resourceOf(r.kind))
		assert.NotEmpty(t, r.kind.APIVersion(), "%s has an apiVersion to print", r.kind)
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string]string{
		"dnsNames": "Dns Names", "issuerRef": "Issuer Ref", "authorizationURL": "Authorization URL",
		"url": "Url", "URL": "URL", "notAfter": "Not After", "isCA": "Is CA", "uid": "Uid",
	} {
		assert.Equal(t, want, words(in), in)
	}
}

func TestParseFor(t *testing.T) {
	w, err := parseFor("condition=Ready")
	require.NoError(t, err)
	assert.Equal(t, waitCondition{typ: meta.ConditionReady, status: meta.ConditionTrue}, w)
	w, err = parseFor("condition=Issuing=False")
	require.NoError(t, err)
	assert.Equal(t, waitCondition{typ: meta.ConditionIssuing, status: meta.ConditionFalse}, w)
	w, err = parseFor("delete")
	require.NoError(t, err)
	assert.Equal(t, waitCondition{deleted: true}, w)
	w, err = parseFor("create")
	require.NoError(t, err)
	assert.Equal(t, waitCondition{created: true}, w)
	for _, bad := range []string{"", "Ready", "condition=", "jsonpath={.status}"} {
		_, err := parseFor(bad)
		assert.True(t, isUsage(err), bad)
	}
}

// TestWaitConditionMet: a condition counts only for the spec it observed,
// and a request or certificate that cannot get Ready ends a wait for Ready.
func TestWaitConditionMet(t *testing.T) {
	ready := waitCondition{typ: meta.ConditionReady, status: meta.ConditionTrue}
	cert := func(gen, observed int64, reason meta.Reason, status meta.ConditionStatus) meta.Object {
		c := &certificate.Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c", Generation: gen}}
		c.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: status, Reason: reason, ObservedGeneration: observed})
		return c
	}
	denied := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r"}}
	require.NoError(t, request.Deny(denied, "Policy", "no", time.Now()))
	pending := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r"}}

	tests := []struct {
		name string
		obj  meta.Object
		w    waitCondition
		met  bool
		err  string
	}{
		{"ready for this spec", cert(2, 2, "Ready", meta.ConditionTrue), ready, true, ""},
		{"ready for an older spec", cert(2, 1, "Ready", meta.ConditionTrue), ready, false, ""},
		{"not ready yet", cert(1, 1, "Issuing", meta.ConditionFalse), ready, false, ""},
		{"invalid spec: never", cert(1, 1, certificate.ReasonInvalid, meta.ConditionFalse), ready, true, "will not become Ready"},
		{"another status asked for", cert(1, 1, "Issuing", meta.ConditionFalse), waitCondition{typ: meta.ConditionReady, status: meta.ConditionFalse}, true, ""},
		{"denied request: never", denied, ready, true, "was denied"},
		{"denied request, waiting for Denied", denied, waitCondition{typ: meta.ConditionDenied, status: meta.ConditionTrue}, true, ""},
		{"pending request", pending, ready, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			met, err := tt.w.met(tt.obj)
			assert.Equal(t, tt.met, met)
			if tt.err == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tt.err)
			}
		})
	}
}
