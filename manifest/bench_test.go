package manifest

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/certflow/certflow/certificate"
)

// BenchmarkDecode reads a manifest of 1,000 Certificates (what `certflow
// apply -f` reads before applying them) and reports the cost per object,
// beside its floor measured in the same run: the same documents decoded
// straight into the typed struct by sigs.k8s.io/yaml, which checks nothing
// and says nothing about where a problem is.
//
//	go test -run '^$' -bench '^BenchmarkDecode$' -benchtime 20x ./manifest
func BenchmarkDecode(b *testing.B) {
	const n = 1000
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, `---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: c%d
  namespace: scale
  labels:
    app: web
spec:
  secretName: c%d-tls
  issuerRef:
    name: ca
    kind: Issuer
  dnsNames:
  - c%d.scale.test
  duration: 2160h
  privateKey:
    algorithm: ECDSA
    size: 256
`, i, i, i)
	}
	data := []byte(sb.String())
	perObject := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/object")
	}
	for _, c := range []struct {
		name   string
		decode func([]byte) ([]any, error)
	}{
		{"Decode", func(d []byte) ([]any, error) { o, err := Decode(d); return []any{o}, err }},
		{"DecodeStrict", func(d []byte) ([]any, error) { o, err := DecodeStrict(d); return []any{o}, err }},
		{"Validate", func(d []byte) ([]any, error) { o, err := Validate(d); return []any{o}, err }},
		{"floor-yaml.Unmarshal", func(d []byte) ([]any, error) {
			var out []any
			for _, doc := range splitDocuments(d) {
				c := &certificate.Certificate{}
				if err := yaml.Unmarshal(doc.body, c); err != nil {
					return nil, err
				}
				out = append(out, c)
			}
			return out, nil
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.decode(data); err != nil {
					b.Fatal(err)
				}
			}
			perObject(b)
		})
	}
}
