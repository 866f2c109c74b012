package issuer_test

import (
	"context"
	"crypto/x509/pkix"
	"fmt"
	"log"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store/memory"
)

// ExampleSigner_Sign signs a CSR with a SelfSigned issuer: the key that made
// the CSR lives in a Secret, and signs its own certificate.
func ExampleSigner_Sign() {
	ctx := context.Background()
	st := memory.New()
	deps := reconcile.Deps{Store: st, Clock: clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}

	key, _ := pki.GenerateKey(pki.AlgECDSA, 256)
	keyPEM, _ := pki.EncodePrivateKey(key, false)
	if err := st.Create(ctx, &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "root-key"},
		Data:       map[string][]byte{secret.TLSKeyKey: keyPEM},
	}); err != nil {
		log.Fatal(err)
	}
	csr, _ := pki.CreateCSR(key, pki.CSRTemplate{Subject: pkix.Name{CommonName: "Example Root"}})

	iss := &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "self"},
		Spec:       issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}},
	}
	out, err := issuer.NewSigner(deps).Sign(ctx, iss, issuer.SignInput{
		Namespace: "default", CSR: csr, IsCA: true, Duration: 365 * 24 * time.Hour,
		PrivateKeySecretName: "root-key",
	})
	if err != nil {
		log.Fatal(err)
	}
	chain, _ := pki.ParseChain(out.Chain)
	c := chain[0]
	fmt.Println(c.Subject.CommonName, c.Issuer.CommonName, c.IsCA, c.NotAfter.Format(time.DateOnly))
	// Output: Example Root Example Root true 2027-01-01
}
