package acmetest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/acmetest"
)

// Example issues a certificate with golang.org/x/crypto/acme against an
// always-valid acmetest server. In a test, use acmetest.NewServer(t, …).
func Example() {
	srv, err := acmetest.Start(acmetest.WithAlwaysValid())
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	accountKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cl := &acme.Client{Key: accountKey, DirectoryURL: srv.DirectoryURL(), HTTPClient: srv.Client()}
	if _, err := cl.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
		log.Fatal(err)
	}
	order, err := cl.AuthorizeOrder(ctx, acme.DomainIDs("www.example.test"))
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range order.AuthzURLs {
		authz, err := cl.GetAuthorization(ctx, u)
		if err != nil {
			log.Fatal(err)
		}
		for _, c := range authz.Challenges {
			if c.Type == "http-01" { // always valid: nothing to serve
				if _, err := cl.Accept(ctx, c); err != nil {
					log.Fatal(err)
				}
			}
		}
		if _, err := cl.WaitAuthorization(ctx, u); err != nil {
			log.Fatal(err)
		}
	}
	order, err = cl.WaitOrder(ctx, order.URI)
	if err != nil {
		log.Fatal(err)
	}
	certKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csr, _ := x509.CreateCertificateRequest(rand.Reader,
		&x509.CertificateRequest{DNSNames: []string{"www.example.test"}}, certKey)
	// CreateCertFromOrder, not CreateOrderCert: Pebble's finalize answer has
	// no Location header.
	der, _, err := cl.CreateCertFromOrder(ctx, order, csr, true)
	if err != nil {
		log.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der[0])
	inter := x509.NewCertPool()
	for _, d := range der[1:] {
		c, _ := x509.ParseCertificate(d)
		inter.AddCert(c)
	}
	_, verr := leaf.Verify(x509.VerifyOptions{Roots: srv.Roots(), Intermediates: inter})
	fmt.Println("issued:", verr == nil)
	fmt.Println("name:", leaf.DNSNames[0])
	fmt.Println("orders:", srv.OrderCount())
	// Output:
	// issued: true
	// name: www.example.test
	// orders: 1
}
