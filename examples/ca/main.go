// Command ca issues a certificate from a CA Issuer held in a memory store,
// prints the status tree and exits: certflow's smallest end-to-end run, with
// no network at all.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store/memory"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ca:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	m, err := certflow.New(certflow.Config{Store: memory.New()})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- m.Run(runCtx) }()
	defer func() { stop(); <-done }()

	caSecret, err := newCA("default", "example-ca")
	if err != nil {
		return err
	}
	objects := []meta.Object{
		caSecret,
		&issuer.Issuer{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "example-ca"},
			Spec:       issuer.Spec{CA: &issuer.CAIssuer{SecretName: "example-ca"}},
		},
		&certificate.Certificate{
			ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web"},
			Spec: certificate.Spec{
				SecretName: "web-tls",
				IssuerRef:  meta.IssuerRef{Kind: meta.KindIssuer, Name: "example-ca"},
				DNSNames:   []string{"web.example.test", "www.example.test"},
				Duration:   &meta.Duration{Duration: 30 * 24 * time.Hour},
				PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256},
			},
		},
	}
	for _, o := range objects {
		if err := m.Apply(ctx, o); err != nil {
			return err
		}
	}
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "web"}
	if err := m.WaitReady(ctx, ref); err != nil {
		st, _ := m.Status(context.Background(), ref)
		return errors.Join(err, fmt.Errorf("status:\n%v", st))
	}
	st, err := m.Status(ctx, ref)
	if err != nil {
		return err
	}
	fmt.Print(st)
	return nil
}

// newCA makes a self-signed CA key pair Secret for the CA Issuer.
func newCA(ns, name string) (*secret.Secret, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "certflow example CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyPEM, err := pki.EncodePrivateKey(key, true)
	if err != nil {
		return nil, err
	}
	crt := pki.EncodeDER(der)
	return &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Type:       secret.TypeTLS,
		Data:       map[string][]byte{secret.TLSCertKey: crt, secret.TLSKeyKey: keyPEM, secret.CACertKey: crt},
	}, nil
}
