package manifest_test

import (
	"fmt"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/manifest"
)

func ExampleDecode() {
	objs, err := manifest.Decode([]byte(`
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: wildcard-example-com
  namespace: default
spec:
  secretName: wildcard-example-com
  duration: 2160h
  renewBefore: 360h
  dnsNames: ["*.example.com", example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	c := objs[0].(*certificate.Certificate)
	fmt.Println(c.Spec.DNSNames, c.Spec.Duration.Duration, c.Spec.RenewBefore.Duration, certificate.Validate(c))
	// Output: [*.example.com example.com] 2160h0m0s 360h0m0s <nil>
}

func ExampleDecode_errors() {
	_, err := manifest.Decode([]byte(`apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: web}
spec:
  secretName: web
  dnsNames: [web.example.com]
  issuerRef: {name: ca, namespace: sandbox}
`))
	fmt.Println(err)
	// Output: manifest: documents[0] (line 7, Certificate "web"): spec.issuerRef.namespace: issuerRef has no namespace field; use an Issuer in the object's namespace or a ClusterIssuer
}
