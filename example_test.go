package certflow_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store/memory"
)

// A Certificate from an ACME issuer, validated over HTTP-01 by the embedded
// CA (acmetest), then served through GetCertificate.
func ExampleManager() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The CA validates HTTP-01 on a port the Manager's handler serves.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ca, err := acmetest.Start(acmetest.WithHTTP01Port(l.Addr().(*net.TCPAddr).Port))
	if err != nil {
		panic(err)
	}
	defer ca.Close()

	m, err := certflow.New(certflow.Config{Store: memory.New()}.WithTestCA(ca))
	if err != nil {
		panic(err)
	}
	httpSrv := &http.Server{Handler: m.HTTPHandler(nil), ReadHeaderTimeout: time.Second}
	go func() { _ = httpSrv.Serve(l) }()
	defer httpSrv.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	defer func() { stop(); <-done }()

	err = m.Apply(ctx, &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              ca.DirectoryURL(),
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"},
			Solvers:             []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
		}},
	})
	if err != nil {
		panic(err)
	}
	crt := &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "www"},
		Spec: certificate.Spec{
			SecretName: "www-tls",
			IssuerRef:  meta.IssuerRef{Kind: meta.KindIssuer, Name: "acme"},
			DNSNames:   []string{"www.example.test"},
		},
	}
	if err := m.Apply(ctx, crt); err != nil {
		panic(err)
	}
	if err := m.WaitReady(ctx, meta.RefOf(crt)); err != nil {
		panic(err) // a *certflow.FailedError says which resource failed and why
	}
	served, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: "WWW.example.test"})
	if err != nil {
		panic(err)
	}
	leaf, err := x509.ParseCertificate(served.Certificate[0]) // Leaf is nil: crypto/tls does not need it
	if err != nil {
		panic(err)
	}
	fmt.Println("serving:", leaf.DNSNames)
	// Output: serving: [www.example.test]
}
