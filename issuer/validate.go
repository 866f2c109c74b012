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
	if spec.CA != nil && spec.CA.SecretName == "" {
		v.add("spec.ca.secretName", "required")
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
		if eab.KeySecretRef.Name == "" {
			v.add(path+".externalAccountBinding.keySecretRef.name", "required")
		}
	}
	switch a.AccountKeyAlgorithm {
	case "", AccountKeyECDSA, AccountKeyRSA:
	default:
		v.add(path+".accountKeyAlgorithm", "must be ECDSA or RSA, got %q", a.AccountKeyAlgorithm)
	}
	if a.SkipTLSVerify && len(a.CABundle) > 0 {
		v.add(path+".caBundle", "must not be set together with skipTLSVerify")
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
	providers := 0
	for _, set := range []bool{d.RFC2136 != nil, d.Route53 != nil, d.Webhook != nil} {
		if set {
			providers++
		}
	}
	if providers != 1 {
		v.add(path, "exactly one of rfc2136, route53 and webhook must be set, found %d", providers)
	}
	switch d.CNAMEStrategy {
	case "", "None", "Follow":
	default:
		v.add(path+".cnameStrategy", "must be None or Follow, got %q", d.CNAMEStrategy)
	}
	if d.RFC2136 != nil && d.RFC2136.Nameserver == "" {
		v.add(path+".rfc2136.nameserver", "required")
	}
	if d.Webhook != nil && d.Webhook.SolverName == "" {
		v.add(path+".webhook.solverName", "required")
	}
}
