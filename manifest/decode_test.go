package manifest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func decodeFile(t *testing.T, name string) []meta.Object {
	t.Helper()
	objs, err := Decode(readTestdata(t, name))
	require.NoError(t, err)
	return objs
}

func TestDecodeSeedClusterIssuerAndCertificate(t *testing.T) {
	objs := decodeFile(t, "seed.yaml")
	require.Len(t, objs, 2)

	ci, ok := objs[0].(*issuer.ClusterIssuer)
	require.True(t, ok, "first object is %T", objs[0])
	assert.Equal(t, meta.TypeMeta{APIVersion: "cert-manager.io/v1", Kind: meta.KindClusterIssuer}, ci.TypeMeta)
	assert.Equal(t, "letsencrypt", ci.ObjectMeta.Name)
	assert.Empty(t, ci.ObjectMeta.Namespace)
	acme := ci.Spec.ACME
	require.NotNil(t, acme)
	assert.Equal(t, issuer.TypeACME, ci.Spec.Type())
	assert.Equal(t, "https://acme-v02.api.letsencrypt.org/directory", acme.Server)
	assert.Equal(t, "ops@example.com", acme.Email)
	assert.Equal(t, meta.LocalRef{Name: "letsencrypt-account-key"}, acme.PrivateKeySecretRef)
	require.Len(t, acme.Solvers, 1)
	s := acme.Solvers[0]
	assert.Equal(t, &solver.Selector{DNSZones: []string{"example.com"}}, s.Selector)
	assert.Equal(t, solver.DNS01, s.Type())
	require.NotNil(t, s.DNS01)
	assert.Equal(t, "route53", s.DNS01.Provider())
	assert.Equal(t, &solver.Route53Config{
		Region:                   "us-east-1",
		HostedZoneID:             "Z0123456789ABCDEFGHIJ",
		AccessKeyIDSecretRef:     &solver.SecretKeySelector{Name: "route53-credentials", Key: "access-key-id"},
		SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "route53-credentials", Key: "secret-access-key"},
	}, s.DNS01.Route53)

	c, ok := objs[1].(*certificate.Certificate)
	require.True(t, ok, "second object is %T", objs[1])
	assert.Equal(t, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "wildcard-example-com"}, meta.RefOf(c))
	assert.Equal(t, "wildcard-example-com", c.Spec.SecretName)
	assert.Equal(t, []string{"*.example.com", "example.com"}, c.Spec.DNSNames)
	require.NotNil(t, c.Spec.Duration)
	require.NotNil(t, c.Spec.RenewBefore)
	assert.Equal(t, 2160*time.Hour, c.Spec.Duration.Duration)
	assert.Equal(t, 360*time.Hour, c.Spec.RenewBefore.Duration)
	assert.Equal(t, meta.IssuerRef{Name: "letsencrypt", Kind: meta.KindClusterIssuer, Group: "cert-manager.io"}, c.Spec.IssuerRef)
	assert.Equal(t, meta.Ref{Kind: meta.KindClusterIssuer, Name: "letsencrypt"}, c.Spec.IssuerRef.Resolve("default"))
	assert.NoError(t, certificate.Validate(c))
}

func TestDecodeSelfSignedIssuer(t *testing.T) {
	objs := decodeFile(t, "selfsigned-issuer.yaml")
	require.Len(t, objs, 1)
	iss, ok := objs[0].(*issuer.Issuer)
	require.True(t, ok)
	assert.Equal(t, meta.Ref{Kind: meta.KindIssuer, Namespace: "sandbox", Name: "selfsigned"}, meta.RefOf(iss))
	assert.Equal(t, issuer.TypeSelfSigned, iss.Spec.Type())
	assert.Equal(t, &issuer.SelfSignedIssuer{}, iss.Spec.SelfSigned)
}

func TestDecodeCAIssuerAndSecretWithStringData(t *testing.T) {
	objs := decodeFile(t, "ca-issuer.yaml")
	require.Len(t, objs, 2)
	iss, ok := objs[0].(*issuer.Issuer)
	require.True(t, ok)
	assert.Equal(t, map[string]string{"app.kubernetes.io/part-of": "platform"}, iss.ObjectMeta.Labels)
	assert.Equal(t, &issuer.CAIssuer{
		SecretName:            "root-ca",
		CRLDistributionPoints: []string{"http://crl.example.internal/root.crl"},
		OCSPServers:           []string{"http://ocsp.example.internal"},
	}, iss.Spec.CA)

	sec, ok := objs[1].(*secret.Secret)
	require.True(t, ok)
	assert.Equal(t, secret.TypeTLS, sec.Type)
	assert.Equal(t, "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n", string(sec.Data[secret.TLSCertKey]))
	assert.Equal(t, "-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----\n", string(sec.Data[secret.TLSKeyKey]))
	assert.Equal(t, "-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n", string(sec.Data[secret.CACertKey]),
		"stringData is merged into data; the PEM lines inside the block scalar are not document separators")
}

func TestDecodeACMEIssuerWithEABIngressAndRFC2136(t *testing.T) {
	objs := decodeFile(t, "acme-issuer-eab.yaml")
	require.Len(t, objs, 1)
	iss, ok := objs[0].(*issuer.Issuer)
	require.True(t, ok)
	assert.Equal(t, "ZeroSSL with EAB", iss.ObjectMeta.Annotations["cert-manager.io/description"])
	a := iss.Spec.ACME
	require.NotNil(t, a)
	assert.Equal(t, "https://acme.zerossl.com/v2/DV90", a.Server)
	assert.Equal(t, "ISRG Root X1", a.PreferredChain)
	assert.Equal(t, "shortlived", a.Profile)
	assert.False(t, a.SkipTLSVerify)
	assert.Equal(t, meta.LocalRef{Name: "zerossl-account", Key: "tls.key"}, a.PrivateKeySecretRef)
	assert.Equal(t, &issuer.ExternalAccountBinding{
		KeyID:        "kid-1234",
		KeySecretRef: solver.SecretKeySelector{Name: "zerossl-eab", Key: "secret"},
		KeyAlgorithm: "HS256",
	}, a.ExternalAccountBinding)
	require.Len(t, a.Solvers, 2)

	h := a.Solvers[0]
	assert.Nil(t, h.Selector)
	assert.Equal(t, solver.HTTP01, h.Type())
	require.NotNil(t, h.HTTP01)
	var ingress map[string]any
	require.NoError(t, json.Unmarshal(h.HTTP01.Ingress, &ingress), "ingress kept as raw JSON")
	assert.Equal(t, "nginx", ingress["ingressClassName"])
	assert.Equal(t, "ClusterIP", ingress["serviceType"])
	assert.Contains(t, string(h.HTTP01.Ingress), `"kubernetes.io/os":"linux"`)

	d := a.Solvers[1]
	assert.Equal(t, &solver.Selector{
		DNSNames:    []string{"internal.example.org"},
		DNSZones:    []string{"lab.example.org"},
		MatchLabels: map[string]string{"solver": "rfc2136"},
	}, d.Selector)
	require.NotNil(t, d.DNS01)
	assert.Equal(t, "Follow", d.DNS01.CNAMEStrategy)
	assert.Equal(t, "rfc2136", d.DNS01.Provider())
	assert.Equal(t, &solver.RFC2136Config{
		Nameserver:          "192.0.2.53:53",
		TSIGKeyName:         "certflow-key",
		TSIGAlgorithm:       "HMACSHA512",
		TSIGSecretSecretRef: solver.SecretKeySelector{Name: "tsig-secret", Key: "tsig-secret-key"},
	}, d.DNS01.RFC2136)
}

func TestDecodeFullCertificate(t *testing.T) {
	objs := decodeFile(t, "certificate-full.yaml")
	require.Len(t, objs, 1)
	c, ok := objs[0].(*certificate.Certificate)
	require.True(t, ok)
	s := c.Spec
	assert.Equal(t, map[string]string{"team": "payments"}, c.ObjectMeta.Labels)
	assert.Equal(t, "api-client-tls", s.SecretName)
	assert.Equal(t, &certificate.SecretTemplate{
		Annotations: map[string]string{"reflector.v1.k8s.emberstack.com/reflection-allowed": "true"},
		Labels:      map[string]string{"tier": "backend"},
	}, s.SecretTemplate)
	assert.Equal(t, "api.example.org", s.CommonName)
	assert.Equal(t, []string{"api.example.org"}, s.DNSNames)
	assert.Equal(t, []string{"192.0.2.10", "2001:db8::10"}, s.IPAddresses)
	assert.Equal(t, []string{"spiffe://example.org/ns/web/sa/api"}, s.URIs)
	assert.Equal(t, []string{"security@example.org"}, s.EmailAddresses)
	assert.Equal(t, &certificate.Subject{
		Organizations:       []string{"Example Org"},
		Countries:           []string{"DE"},
		OrganizationalUnits: []string{"Payments"},
		Localities:          []string{"Berlin"},
		Provinces:           []string{"Berlin"},
		StreetAddresses:     []string{"Example Str. 1"},
		PostalCodes:         []string{"10115"},
		SerialNumber:        "42",
	}, s.Subject)
	require.NotNil(t, s.Duration)
	assert.Equal(t, 720*time.Hour, s.Duration.Duration)
	assert.Nil(t, s.RenewBefore)
	require.NotNil(t, s.RenewBeforePercentage)
	assert.Equal(t, int32(25), *s.RenewBeforePercentage)
	assert.Equal(t, &certificate.PrivateKey{
		Algorithm: certificate.ECDSA, Size: 384, Encoding: certificate.PKCS8, RotationPolicy: certificate.RotationNever,
	}, s.PrivateKey)
	assert.Equal(t, []certificate.KeyUsage{
		certificate.UsageDigitalSignature, certificate.UsageKeyEncipherment,
		certificate.UsageServerAuth, certificate.UsageClientAuth,
	}, s.Usages)
	assert.True(t, s.IsCA)
	require.NotNil(t, s.RevisionHistoryLimit)
	assert.Equal(t, int32(3), *s.RevisionHistoryLimit)
	assert.Equal(t, 3, s.HistoryLimit())
	assert.Equal(t, meta.IssuerRef{Name: "internal-ca", Kind: meta.KindIssuer}, s.IssuerRef)
	assert.NoError(t, certificate.Validate(c))
}

func TestDecodeJSONList(t *testing.T) {
	objs := decodeFile(t, "list.json")
	require.Len(t, objs, 2)
	iss, ok := objs[0].(*issuer.Issuer)
	require.True(t, ok)
	assert.Equal(t, issuer.TypeSelfSigned, iss.Spec.Type())
	c, ok := objs[1].(*certificate.Certificate)
	require.True(t, ok)
	assert.Equal(t, "Sandbox Root CA", c.Spec.CommonName)
	assert.True(t, c.Spec.IsCA)
	assert.Equal(t, certificate.PrivateKey{
		Algorithm: certificate.Ed25519, Encoding: certificate.PKCS8, RotationPolicy: certificate.RotationAlways,
	}, c.Spec.KeyConfig())
	assert.NoError(t, certificate.Validate(c))
}

func TestDecodeAcceptsUnknownFieldsAndStrictNamesThem(t *testing.T) {
	data := readTestdata(t, "cert-manager-extra-fields.yaml")
	objs, err := Decode(data)
	require.NoError(t, err)
	require.Len(t, objs, 1)
	c := objs[0].(*certificate.Certificate)
	assert.Equal(t, []string{"extra.example.com"}, c.Spec.DNSNames)
	assert.True(t, c.Status.Conditions.IsTrue(meta.ConditionReady))
	require.NotNil(t, c.Status.NotAfter)
	assert.Equal(t, time.Date(2026, 4, 2, 3, 4, 5, 0, time.UTC), c.Status.NotAfter.UTC())
	require.NotNil(t, c.Status.Revision)
	assert.Equal(t, 1, *c.Status.Revision)

	objs, err = DecodeStrict(data)
	require.Error(t, err)
	assert.Nil(t, objs)
	assert.ErrorIs(t, err, ErrUnknownField)
	var errs Errors
	require.ErrorAs(t, err, &errs)
	var paths []string
	for _, e := range errs {
		assert.ErrorIs(t, e, ErrUnknownField)
		assert.Equal(t, meta.KindCertificate, e.Kind)
		assert.Equal(t, "extra", e.Name)
		paths = append(paths, e.Path)
	}
	assert.Equal(t, []string{"metadata.managedFields", "spec.keystores"}, paths)
	assert.Contains(t, err.Error(), `manifest: documents[0] (line 13, Certificate "extra"): spec.keystores: unknown field`)

	for _, name := range []string{"seed.yaml", "selfsigned-issuer.yaml", "ca-issuer.yaml", "acme-issuer-eab.yaml", "certificate-full.yaml", "list.json"} {
		_, err := DecodeStrict(readTestdata(t, name))
		assert.NoError(t, err, "%s has only fields certflow knows", name)
	}
}

func TestDecodeInvalidManifests(t *testing.T) {
	tests := []struct {
		file     string
		sentinel error
		index    int
		line     int
		kind     meta.Kind
		path     string
		message  string
	}{
		{"malformed.yaml", ErrSyntax, 1, 14, "", "", "documents[1] (line 14): malformed document: yaml: line 14: did not find expected key"},
		{"unknown-kind.yaml", ErrUnknownKind, 0, 1, "Ingress", "", `kind "Ingress" (apiVersion "networking.k8s.io/v1") is not one certflow decodes`},
		{"old-api-version.yaml", ErrUnknownKind, 0, 1, meta.KindCertificate, "", `Certificate is served as apiVersion cert-manager.io/v1, not "cert-manager.io/v1alpha2"`},
		{"issuerref-namespace.yaml", ErrIssuerRefNamespace, 0, 13, meta.KindCertificate, "spec.issuerRef.namespace", "issuerRef has no namespace field"},
		{"bad-duration.yaml", ErrInvalidValue, 0, 10, meta.KindCertificate, "spec.duration", `spec.duration: invalid value: duration: time: unknown unit " days" in duration "90 days"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readTestdata(t, filepath.Join("invalid", tt.file))
			for _, decode := range []func([]byte) ([]meta.Object, error){Decode, DecodeStrict} {
				objs, err := decode(data)
				require.Error(t, err)
				assert.Nil(t, objs)
				assert.ErrorIs(t, err, tt.sentinel)
				var de *DocumentError
				require.ErrorAs(t, err, &de)
				assert.Equal(t, tt.index, de.Index)
				assert.Equal(t, -1, de.Item)
				assert.Equal(t, tt.line, de.Line)
				assert.Equal(t, tt.kind, de.Kind)
				assert.Equal(t, tt.path, de.Path)
				assert.Contains(t, err.Error(), tt.message)
			}
		})
	}
}

func TestDecodeReportsEveryProblemWithItsPath(t *testing.T) {
	data := []byte(`apiVersion: v1
kind: List
items:
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: {name: a}
  spec:
    secretName: 7
    isCA: "maybe"
    dnsNames: example.com
    privateKey: {size: big}
    revisionHistoryLimit: 3000000000
    renewBefore: 5
- 42
- apiVersion: v1
  kind: Secret
  metadata: {name: s}
  data: {tls.key: "not base64!"}
  stringData: {num: 1}
`)
	_, err := Decode(data)
	var errs Errors
	require.ErrorAs(t, err, &errs)
	type row struct {
		item int
		path string
		line int
		err  error
	}
	var got []row
	for _, e := range errs {
		got = append(got, row{e.Item, e.Path, e.Line, e.Err})
	}
	assert.Equal(t, []row{
		{0, "spec.dnsNames", 10, ErrInvalidValue},
		{0, "spec.isCA", 9, ErrInvalidValue},
		{0, "spec.privateKey.size", 11, ErrInvalidValue},
		{0, "spec.renewBefore", 13, ErrInvalidValue},
		{0, "spec.revisionHistoryLimit", 12, ErrInvalidValue},
		{0, "spec.secretName", 8, ErrInvalidValue},
		{1, "", 14, ErrSyntax},
		{2, `stringData.num`, 19, ErrInvalidValue},
		{2, `data["tls.key"]`, 18, ErrInvalidValue},
	}, got, "each problem is at its field's line")
	assert.Contains(t, err.Error(), `documents[0].items[0] (line 8, Certificate "a"): spec.secretName: invalid value: want a string, got a number`)
	assert.Contains(t, err.Error(), `documents[0].items[1] (line 14): malformed document: want an object with apiVersion and kind, got a number`)
	assert.NotContains(t, err.Error(), "not base64!", "secret values never appear in errors")
}

func TestDecodeStrictRejectsDuplicateKeysAndCaseMismatches(t *testing.T) {
	dup := []byte("apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: a\n  name: b\nspec: {selfSigned: {}}\n")
	_, err := Decode(dup)
	require.NoError(t, err, "lenient decoding keeps the last duplicate, as kubectl does")
	_, err = DecodeStrict(dup)
	require.ErrorIs(t, err, ErrSyntax)
	assert.Contains(t, err.Error(), `line 5: key "name" already set`)

	folded := []byte("apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: a}\nspec: {SelfSigned: {}}\n")
	objs, err := Decode(folded)
	require.NoError(t, err)
	assert.NotNil(t, objs[0].(*issuer.Issuer).Spec.SelfSigned, "encoding/json matches names case-insensitively")
	_, err = DecodeStrict(folded)
	require.ErrorIs(t, err, ErrUnknownField)
	assert.Contains(t, err.Error(), `spec.SelfSigned: unknown field: did you mean "selfSigned"?`)
}

func TestDecodeSkipsEmptyDocumentsAndCountsLines(t *testing.T) {
	data := []byte("# leading comment\n---\n\n--- # separator with comment\napiVersion: cert-manager.io/v1\r\nkind: Issuer\r\nmetadata: {name: a}\r\nspec: {selfSigned: {}}\r\n---\r\n...\n---\napiVersion: cert-manager.io/v1\nkind: Nope\n")
	_, err := Decode(data)
	var de *DocumentError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 1, de.Index, "empty and comment-only documents are not counted")
	assert.Equal(t, 12, de.Line)
	assert.ErrorIs(t, err, ErrUnknownKind)

	objs, err := Decode(data[:bytes2(data, "---\r\n")])
	require.NoError(t, err)
	require.Len(t, objs, 1)
	assert.Equal(t, "a", objs[0].GetMeta().Name)

	objs, err = Decode([]byte("\xef\xbb\xbfapiVersion: v1\nkind: Secret\nmetadata: {name: bom}\n"))
	require.NoError(t, err, "a leading byte order mark is ignored")
	require.Len(t, objs, 1)
	assert.Equal(t, "bom", objs[0].GetMeta().Name)

	objs, err = Decode(nil)
	require.NoError(t, err)
	assert.Empty(t, objs)
}

// bytes2 returns the index of sep in b.
func bytes2(b []byte, sep string) int {
	for i := 0; i+len(sep) <= len(b); i++ {
		if string(b[i:i+len(sep)]) == sep {
			return i
		}
	}
	return -1
}

func TestDecodeRejectsNonObjectsAndMissingHeader(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		sentinel error
		message  string
	}{
		{"scalar", "just a string\n", ErrSyntax, "got a string"},
		{"list", "- a\n- b\n", ErrSyntax, "got a list"},
		{"no kind", "apiVersion: cert-manager.io/v1\nmetadata: {name: a}\n", ErrUnknownKind, "kind is missing"},
		{"no apiVersion", "kind: Certificate\nmetadata: {name: a}\n", ErrUnknownKind, "apiVersion is missing; Certificate is served as cert-manager.io/v1"},
		{"items not a list", "apiVersion: v1\nkind: List\nitems: 3\n", ErrSyntax, "items: malformed document: want a list"},
		{"json syntax", `{"apiVersion": "v1",`, ErrSyntax, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			require.ErrorIs(t, err, tt.sentinel)
			assert.Contains(t, err.Error(), tt.message)
			assert.False(t, errors.Is(err, ErrUnknownField))
		})
	}
}

func TestDecodeValidateTestdataCertificates(t *testing.T) {
	objs := decodeFile(t, filepath.Join("invalid", "cert-invalid-spec.yaml"))
	require.Len(t, objs, 1)
	err := certificate.Validate(objs[0].(*certificate.Certificate))
	require.ErrorIs(t, err, certificate.ErrInvalid)
	var ve certificate.ValidationErrors
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, e := range ve {
		fields = append(fields, e.Field)
	}
	assert.Equal(t, []string{"spec.dnsNames[1]", "spec.issuerRef.kind", "spec.duration", "spec.privateKey.size"}, fields)
}
