package certflow

import (
	"errors"
	"testing"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
)

// FuzzOnDemandName feeds the server-name check what a client may send: it
// never panics, refuses with ErrOnDemandInvalidName, and what it accepts
// is folded, accepted again unchanged, and makes a valid Certificate.
func FuzzOnDemandName(f *testing.F) {
	for _, s := range []string{"www.example.com", "WWW.Example.COM.", "127.0.0.1", "::1", "a_b.test", "*.x.test",
		"xn--bcher-kva.example", "bücher.example", "a..b", "", ".", "1.2.3.999", "a.b-.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, serverName string) {
		name, err := onDemandName(serverName)
		if err != nil {
			if !errors.Is(err, ErrOnDemandInvalidName) {
				t.Fatalf("%q: untyped error %v", serverName, err)
			}
			return
		}
		if again, err := onDemandName(name); err != nil || again != name {
			t.Fatalf("%q accepted as %q, which gives %q, %v", serverName, name, again, err)
		}
		obj := onDemandObjectName(name)
		crt := &certificate.Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: obj},
			Spec: certificate.Spec{SecretName: onDemandSecretName(obj), DNSNames: []string{name},
				IssuerRef: meta.IssuerRef{Name: "x"}}}
		if err := certificate.Validate(crt); err != nil {
			t.Fatalf("%q makes an invalid Certificate: %v", serverName, err)
		}
	})
}
