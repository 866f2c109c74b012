package certflow_test

import (
	"context"
	"fmt"
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
// CA, then served through GetCertificate.
func ExampleManager() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The Manager's HTTP-01 handler must be reachable before the CA validates.
	httpSrv := &http.Server{ReadHeaderTimeout: time.Second}
	l, port := listen()
	ca, err := acmetest.Start(acmetest.WithHTTP01Port(port))
	if err != nil {
		panic(err)
	}
	defer ca.Close()

	cfg := certflow.Config{Store: memory.New(), HTTPClient: ca.Client()}
	cfg.ACME.HTTP01Port, cfg.ACME.Dial = port, ca.Dial
	m, err := certflow.New(cfg)
	if err != nil {
		panic(err)
	}
	httpSrv.Handler = m.HTTPHandler(nil)
	go func() { _ = httpSrv.Serve(l) }()
	defer httpSrv.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	defer func() { stop(); <-done }()

	_ = m.Apply(ctx, &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              ca.DirectoryURL(),
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"},
			Solvers:             []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
		}},
	})
	crt := &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "www"},
		Spec: certificate.Spec{
			SecretName: "www-tls",
			IssuerRef:  meta.IssuerRef{Kind: meta.KindIssuer, Name: "acme"},
			DNSNames:   []string{"www.example.test"},
		},
	}
	_ = m.Apply(ctx, crt)
	if err := m.WaitReady(ctx, meta.RefOf(crt)); err != nil {
		panic(err)
	}
	served, err := m.GetCertificate(helloFor("WWW.example.test"))
	if err != nil {
		panic(err)
	}
	fmt.Println("serving:", served.Leaf.DNSNames)
	// Output: serving: [www.example.test]
}
