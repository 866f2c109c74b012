package manifest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitPath(t *testing.T) {
	tests := []struct {
		path string
		want []segment
		ok   bool
	}{
		{"", nil, true},
		{"spec", []segment{{key: "spec"}}, true},
		{"spec.dnsNames[1]", []segment{{key: "spec"}, {key: "dnsNames"}, {index: 1, isIndex: true}}, true},
		{`metadata.labels["cert-manager.io/a.b"]`, []segment{{key: "metadata"}, {key: "labels"}, {key: "cert-manager.io/a.b"}}, true},
		{`data["odd]key"].x`, []segment{{key: "data"}, {key: "odd]key"}, {key: "x"}}, true},
		{"spec.solvers[0].dns01", []segment{{key: "spec"}, {key: "solvers"}, {index: 0, isIndex: true}, {key: "dns01"}}, true},
		{"spec[", nil, false},
		{"spec[x]", nil, false},
		{`spec["unterminated]`, nil, false},
	}
	for _, tt := range tests {
		got, ok := splitPath(tt.path)
		assert.Equal(t, tt.ok, ok, tt.path)
		if tt.ok {
			assert.Equal(t, tt.want, got, tt.path)
		}
	}
}

// TestLocatorLines places paths in a document that starts on input line
// 5 (after another document), so lines are the input's, not the
// document's.
func TestLocatorLines(t *testing.T) {
	input := []byte(`apiVersion: v1
kind: Secret
metadata: {name: other}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web
  labels:
    cert-manager.io/a.b: x
spec:
  dnsNames:
    - a.example.com
    - b.example.com
  issuerRef: &ref
    name: ca
  privateKey: *ref
`)
	docs := splitDocuments(input)
	require.Len(t, docs, 2)
	l := locator{doc: docs[1]}
	tests := []struct {
		path string
		line int
	}{
		{"metadata.name", 8},
		{`metadata.labels["cert-manager.io/a.b"]`, 10},
		{"spec", 11},
		{"spec.dnsNames", 12},
		{"spec.dnsNames[1]", 14},
		{"spec.issuerRef.name", 16},
		{"spec.privateKey.name", 16}, // through the alias, at the anchor's member
		{"spec.commonName", 11},      // absent: at its parent
		{"spec.dnsNames[7]", 12},     // no such item: at the list
		{"status.conditions", 0},     // nothing of it present
		{"spec[", 0},                 // not a path
	}
	for _, tt := range tests {
		assert.Equal(t, tt.line, l.line(-1, tt.path), tt.path)
	}
}

func TestLocatorListItemsAndJSON(t *testing.T) {
	input := []byte(`{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"kind": "Issuer"},
    {
      "kind": "Certificate",
      "spec": {"secretName": 7}
    }
  ]
}`)
	docs := splitDocuments(input)
	require.Len(t, docs, 1)
	l := locator{doc: docs[0]}
	assert.Equal(t, 5, l.line(0, ""))
	assert.Equal(t, 6, l.line(1, ""))
	assert.Equal(t, 8, l.line(1, "spec.secretName"))
}

func TestLocatorUnparsableDocumentHasNoLines(t *testing.T) {
	l := locator{doc: document{body: []byte("a: [unclosed\n"), line: 3, first: 3}}
	assert.Equal(t, 0, l.line(-1, "a"))
}
