package cli

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

func (a *app) inspectCommand() *cobra.Command {
	inspect := &cobra.Command{
		Use:     "inspect",
		Short:   "Look inside stored objects",
		Example: `  certflow inspect secret www-tls`,
	}
	inspect.AddCommand(&cobra.Command{
		Use:   "secret NAME",
		Short: "Show the certificate in a TLS Secret, as cmctl inspect secret does",
		Long: `Show what the certificate in a kubernetes.io/tls Secret is valid for, its
validity period and when its Certificate will renew it, who issued it and
for whom, its algorithms, serial and SHA-256 fingerprint, the private key's
type (never the key) and whether it matches, and the chain.`,
		Example: `  certflow inspect secret www-tls
  certflow inspect secret www-tls -n web`,
		Args:              exactly(1, "the name of one Secret"),
		ValidArgsFunction: a.completeNames("secrets"),
		RunE: a.run(func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			obj, err := s.get(cmd.Context(), meta.Ref{Kind: meta.KindSecret, Namespace: a.ns(), Name: args[0]})
			if err != nil {
				return err
			}
			return inspectSecret(cmd.Context(), cmd.OutOrStdout(), s, obj.(*secret.Secret), time.Now())
		}),
	})
	return inspect
}

func inspectSecret(ctx context.Context, w io.Writer, s *session, sec *secret.Secret, now time.Time) error {
	chain, err := pki.ParseChain(sec.Data[secret.TLSCertKey])
	if err != nil {
		return fmt.Errorf("secret %s/%s: %s: %w", sec.ObjectMeta.Namespace, sec.ObjectMeta.Name, secret.TLSCertKey, err)
	}
	leaf := chain[0]
	var b strings.Builder
	section := func(title string, rows ...string) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(title + ":\n")
		for _, r := range rows {
			b.WriteString("\t" + r + "\n")
		}
	}
	section("Valid for",
		"DNS Names: "+list(leaf.DNSNames),
		"URIs: "+list(stringsOf(leaf.URIs)),
		"IP Addresses: "+list(stringsOf(leaf.IPAddresses)),
		"Email Addresses: "+list(leaf.EmailAddresses),
		"Usages: "+list(pki.UsageNames(leaf.KeyUsage, leaf.ExtKeyUsage)))
	section("Validity period",
		"Not Before: "+leaf.NotBefore.UTC().Format(time.RFC1123),
		"Not After: "+leaf.NotAfter.UTC().Format(time.RFC1123),
		"Ready for renewal at: "+renewalAt(ctx, s, sec, leaf))
	section("Issued By", name(leaf.Issuer.CommonName, leaf.Issuer.Organization, leaf.Issuer.OrganizationalUnit, leaf.Issuer.Country)...)
	section("Issued For", name(leaf.Subject.CommonName, leaf.Subject.Organization, leaf.Subject.OrganizationalUnit, leaf.Subject.Country)...)
	section("Certificate",
		"Signing Algorithm: "+leaf.SignatureAlgorithm.String(),
		"Public Key Algorithm: "+keyType(leaf.PublicKey),
		"Serial Number: "+leaf.SerialNumber.String(),
		"Fingerprints: "+fingerprint(leaf),
		fmt.Sprintf("Is a CA certificate: %t", leaf.IsCA),
		"CRL: "+oneOrList(leaf.CRLDistributionPoints),
		"OCSP: "+oneOrList(leaf.OCSPServer))
	section("Private Key", privateKey(sec.Data[secret.TLSKeyKey], leaf)...)
	rows := make([]string, len(chain))
	for i, c := range chain {
		who := c.Subject.String()
		if who == "" && len(c.DNSNames) > 0 {
			who = "DNS:" + c.DNSNames[0] // ACME leaves often have no subject
		}
		rows[i] = fmt.Sprintf("%d: %s (issued by %s, not after %s)", i, orNone(who), orNone(c.Issuer.String()),
			c.NotAfter.UTC().Format(time.RFC3339))
	}
	section("Chain", rows...)
	section("Debugging", trust(chain, sec.Data[secret.CACertKey], now)...)
	_, err = io.WriteString(w, b.String())
	return err
}

// renewalAt is when the Certificate that wrote the Secret renews it.
func renewalAt(ctx context.Context, s *session, sec *secret.Secret, leaf *x509.Certificate) string {
	name := sec.ObjectMeta.Annotations[secret.AnnotationCertificateName]
	if name == "" {
		return "<unknown: no Certificate names this Secret>"
	}
	obj, err := s.get(ctx, meta.Ref{Kind: meta.KindCertificate, Namespace: sec.ObjectMeta.Namespace, Name: name})
	if err != nil {
		return fmt.Sprintf("<unknown: %v>", err)
	}
	c := obj.(*certificate.Certificate)
	at, basis := certificate.ScheduleRenewal(leaf.NotBefore, leaf.NotAfter, &c.Spec, certificate.JitterKey(c))
	if c.Status.RenewalTime != nil {
		at, basis = *c.Status.RenewalTime, certificate.RenewalBasisOf(c)
	}
	if basis == "" {
		return at.UTC().Format(time.RFC1123)
	}
	return at.UTC().Format(time.RFC1123) + " (" + basis.Explain() + ")"
}

func privateKey(data []byte, leaf *x509.Certificate) []string {
	if len(data) == 0 {
		return []string{"<none>"}
	}
	key, err := pki.ParsePrivateKey(data)
	if err != nil {
		// The parser's message names no key material.
		return []string{"unreadable: " + err.Error()}
	}
	match := "no: the certificate is for another key"
	if pki.PublicKeysEqual(key.Public(), leaf.PublicKey) {
		match = "yes"
	}
	return []string{"Algorithm: " + keyType(key.Public()), "Matches certificate: " + match}
}

// trust says whether the chain verifies against this machine's roots and
// against the Secret's ca.crt. Nothing is fetched: no CRL, no OCSP.
func trust(chain []*x509.Certificate, caPEM []byte, now time.Time) []string {
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	verify := func(roots *x509.CertPool) string {
		_, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			return "no: " + err.Error()
		}
		return "yes"
	}
	system := "no: this computer's roots cannot be read"
	if roots, err := x509.SystemCertPool(); err == nil {
		system = verify(roots)
	}
	rows := []string{"Trusted by this computer: " + system}
	if len(caPEM) > 0 {
		roots := x509.NewCertPool()
		if roots.AppendCertsFromPEM(caPEM) {
			rows = append(rows, "Trusted by ca.crt: "+verify(roots))
		} else {
			rows = append(rows, "Trusted by ca.crt: no: ca.crt holds no certificate")
		}
	}
	return rows
}

func keyType(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

// fingerprint is the SHA-256 of the certificate, as cmctl prints it.
func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func name(cn string, org, ou, country []string) []string {
	return []string{"Common Name: " + orNone(cn), "Organization: " + oneOrList(org),
		"OrganizationalUnit: " + oneOrList(ou), "Country: " + oneOrList(country)}
}

// list writes values one a line below their label, as cmctl does.
func list(vs []string) string {
	if len(vs) == 0 {
		return "<none>"
	}
	return "\n\t\t- " + strings.Join(vs, "\n\t\t- ")
}

func oneOrList(vs []string) string {
	if len(vs) == 1 {
		return vs[0]
	}
	return list(vs)
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func stringsOf[T fmt.Stringer](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}
