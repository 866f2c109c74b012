package issuer

import (
	"fmt"
	"net/mail"
	"net/url"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/solver"
)

// Account key algorithms accepted in ACMEIssuer.AccountKeyAlgorithm.
const (
	AccountKeyECDSA = "ECDSA"
	AccountKeyRSA   = "RSA"
)

// Validate checks spec and returns a *ValidationError listing every problem,
// or nil. It reads no Secrets: a missing Secret is a readiness problem, not a
// configuration one.
func Validate(spec *Spec) error {
	var v validator
	n := 0
	for _, set := range []bool{spec.ACME != nil, spec.CA != nil, spec.SelfSigned != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		v.add("spec", "exactly one of acme, ca and selfSigned must be set, found %d", n)
	}
	if spec.ACME != nil {
		v.acme("spec.acme", spec.ACME)
	}
	if spec.CA != nil {
		if spec.CA.SecretName == "" {
			v.add("spec.ca.secretName", "required")
		}
		// cert-manager's ValidateCAIssuerConfig refuses only empty URLs.
		for i, u := range spec.CA.OCSPServers {
			if u == "" {
				v.add(fmt.Sprintf("spec.ca.ocspServers[%d]", i), "must be a valid URL, e.g., http://ocsp.int-x3.letsencrypt.org")
			}
		}
		for i, u := range spec.CA.CRLDistributionPoints {
			if u == "" {
				v.add(fmt.Sprintf("spec.ca.crlDistributionPoints[%d]", i), "must be a valid URL")
			}
		}
	}
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

type validator struct{ problems []FieldError }

func (v *validator) add(field, format string, args ...any) {
	v.problems = append(v.problems, FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) acme(path string, a *ACMEIssuer) {
	switch u, err := url.Parse(a.Server); {
	case a.Server == "":
		v.add(path+".server", "required")
	case err != nil:
		v.add(path+".server", "not a URL: %v", err)
	case u.Scheme != "https" || u.Host == "":
		v.add(path+".server", "must be an absolute https URL, got %q", a.Server)
	}
	if a.PrivateKeySecretRef.Name == "" {
		v.add(path+".privateKeySecretRef.name", "required")
	}
	if a.Email != "" {
		if addr, err := mail.ParseAddress(a.Email); err != nil || addr.Address != a.Email {
			v.add(path+".email", "not a bare e-mail address: %q", a.Email)
		}
	}
	if eab := a.ExternalAccountBinding; eab != nil {
		if eab.KeyID == "" {
			v.add(path+".externalAccountBinding.keyID", "required")
		}
		// As cert-manager's ValidateSecretKeySelector: name and key.
		if eab.KeySecretRef.Name == "" {
			v.add(path+".externalAccountBinding.keySecretRef.name", "required")
		}
		if eab.KeySecretRef.Key == "" {
			v.add(path+".externalAccountBinding.keySecretRef.key", "required")
		}
	}
	switch a.AccountKeyAlgorithm {
	case "", AccountKeyECDSA, AccountKeyRSA:
	default:
		v.add(path+".accountKeyAlgorithm", "must be ECDSA or RSA, got %q", a.AccountKeyAlgorithm)
	}
	if a.SkipTLSVerify && len(a.CABundle) > 0 {
		v.add(path+".caBundle", "caBundle and skipTLSVerify are mutually exclusive and cannot both be set")
		v.add(path+".skipTLSVerify", "caBundle and skipTLSVerify are mutually exclusive and cannot both be set")
	}
	if len(a.CABundle) > 0 {
		if _, err := pki.ParseChain(a.CABundle); err != nil {
			v.add(path+".caBundle", "%v", err)
		}
	}
	for i, s := range a.Solvers {
		v.solver(fmt.Sprintf("%s.solvers[%d]", path, i), s)
	}
}

func (v *validator) solver(path string, s solver.Config) {
	n := 0
	for _, set := range []bool{s.HTTP01 != nil, s.DNS01 != nil, s.TLSALPN01 != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		v.add(path, "exactly one of http01, dns01 and tlsALPN01 must be set, found %d", n)
	}
	d := s.DNS01
	if d == nil {
		return
	}
	path += ".dns01"
	for _, p := range solver.ValidateDNS01(*d) {
		field := path
		if p.Field != "" {
			field += "." + p.Field
		}
		v.add(field, "%s", p.Msg)
	}
}
