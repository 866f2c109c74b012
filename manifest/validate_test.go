package manifest

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/request"
)

// located is a DocumentError reduced to what a person reads.
type located struct {
	line int
	path string
	err  error
}

func problemsOf(t *testing.T, err error) []located {
	t.Helper()
	var errs Errors
	require.ErrorAs(t, err, &errs)
	out := make([]located, len(errs))
	for i, e := range errs {
		out[i] = located{e.Line, e.Path, e.Err}
	}
	return out
}

func TestValidateReportsEveryFieldAtItsLine(t *testing.T) {
	data := readTestdata(t, filepath.Join("invalid", "cert-invalid-spec.yaml"))
	_, err := Decode(data)
	require.NoError(t, err, "the shape is right: Decode alone accepts it")

	objs, err := Validate(data)
	require.Error(t, err)
	assert.Nil(t, objs)
	assert.ErrorIs(t, err, ErrInvalidObject)
	assert.ErrorIs(t, err, certificate.ErrInvalid, "the validator's sentinel is reachable")
	assert.ElementsMatch(t, []located{
		{11, "spec.dnsNames[1]", ErrInvalidObject},
		{12, "spec.duration", ErrInvalidObject},
		{15, "spec.privateKey.size", ErrInvalidObject},
		{18, "spec.issuerRef.kind", ErrInvalidObject},
	}, problemsOf(t, err))
	assert.Contains(t, err.Error(), `documents[0] (line 15, Certificate "invalid-spec"): spec.privateKey.size: invalid object: "1024": RSA keys must be between 2048 and 8192 bits`)
}

func TestValidateEveryKindAndShapeProblemsTogether(t *testing.T) {
	data := []byte(`apiVersion: cert-manager.io/v1
kind: Issuer
metadata:
  namespace: default
spec:
  ca: {}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: both}
spec:
  selfSigned: {}
  ca: {secretName: x}
---
apiVersion: cert-manager.io/v1
kind: CertificateRequest
metadata: {name: cr}
spec:
  issuerRef: {name: ca}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: shape}
spec:
  secretName: 7
`)
	_, err := Validate(data)
	require.Error(t, err)
	assert.Equal(t, []located{
		{3, "metadata.name", ErrInvalidObject},
		{6, "spec.ca.secretName", ErrInvalidObject},
		{11, "spec", ErrInvalidObject},
		{18, "spec.request", ErrInvalidObject},
		{25, "spec.secretName", ErrInvalidValue},
		{24, "spec.issuerRef.name", ErrInvalidObject}, // found though the shape is wrong
	}, problemsOf(t, err))
	assert.ErrorIs(t, err, issuer.ErrInvalidConfig)
	assert.ErrorIs(t, err, request.ErrInvalid)
	assert.Contains(t, err.Error(), `documents[0] (line 3, Issuer): metadata.name: invalid object: is required`)
	assert.Contains(t, err.Error(), `documents[1] (line 11, ClusterIssuer "both"): spec: invalid object: exactly one of acme, ca and selfSigned must be set, found 2`)
}

func TestValidateAcceptsTheGoodManifests(t *testing.T) {
	for _, name := range []string{"seed.yaml", "selfsigned-issuer.yaml", "ca-issuer.yaml", "acme-issuer-eab.yaml", "certificate-full.yaml", "list.json", "cert-manager-extra-fields.yaml"} {
		objs, err := Validate(readTestdata(t, name))
		assert.NoError(t, err, name)
		assert.NotEmpty(t, objs, name)
	}
}

// TestValidateSalvagesObjectsWithShapeProblems: an object whose shape is
// wrong is still validated on the rest, so one pass names every problem,
// without repeating a shape problem as a validation one.
func TestValidateSalvagesObjectsWithShapeProblems(t *testing.T) {
	data := []byte(`apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: www}
spec:
  secretName: www-tls
  dnsNames: www.example.com
  duration: 90 days
  privateKey: {algorithm: RSA, size: 1024}
  issuerRef: {name: ca, kind: AWSPCAIssuer}
`)
	_, err := Validate(data)
	require.Error(t, err)
	assert.ElementsMatch(t, []located{
		{6, "spec.dnsNames", ErrInvalidValue},
		{7, "spec.duration", ErrInvalidValue},
		{8, "spec.privateKey.size", ErrInvalidObject},
		{9, "spec.issuerRef.kind", ErrInvalidObject},
	}, problemsOf(t, err), "no \"spec: at least one name\" for the dropped dnsNames, no duration rule for the dropped duration")

	_, err = Decode(data)
	assert.NotErrorIs(t, err, ErrInvalidObject, "Decode checks shape only")
}

func TestDropMember(t *testing.T) {
	tests := []struct {
		path, dropped string
		left          map[string]any
	}{
		{"spec.duration", "spec.duration", map[string]any{"spec": map[string]any{"dnsNames": []any{"a"}}}},
		{"spec.dnsNames[0]", "spec.dnsNames", map[string]any{"spec": map[string]any{"duration": "x"}}},
		{"spec.nothing.below", "", map[string]any{"spec": map[string]any{"duration": "x", "dnsNames": []any{"a"}}}},
		{"[0]", "", map[string]any{"spec": map[string]any{"duration": "x", "dnsNames": []any{"a"}}}},
	}
	for _, tt := range tests {
		m := map[string]any{"spec": map[string]any{"duration": "x", "dnsNames": []any{"a"}}}
		assert.Equal(t, tt.dropped, dropMember(m, tt.path), tt.path)
		assert.Equal(t, tt.left, m, tt.path)
	}
	assert.True(t, relatedToAny("spec", []string{"spec.dnsNames"}))
	assert.True(t, relatedToAny("spec.dnsNames[1]", []string{"spec.dnsNames"}))
	assert.False(t, relatedToAny("spec.dnsNamesExtra", []string{"spec.dnsNames"}))
	assert.False(t, relatedToAny("spec.duration", []string{"spec.dnsNames"}))
}
