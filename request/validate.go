package request

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
)

// ErrInvalid is matched (errors.Is) by every error Validate returns.
var ErrInvalid = errors.New("request: invalid")

// FieldError is one problem with one field of a CertificateRequest.
type FieldError struct {
	// Field is the path, e.g. "spec.request".
	Field string
	Msg   string
}

// ValidationError lists every problem Validate found.
type ValidationError struct{ Problems []FieldError }

// Error renders all problems on one line.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Msg
	}
	return "request: invalid: " + strings.Join(parts, "; ")
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Validate checks r as cert-manager's webhook checks a CertificateRequest
// (internal/apis/certmanager/validation/certificaterequest.go, v1.21.1):
// the issuerRef; a CSR that parses, is correctly signed and, when it encodes
// key usages or extended key usages, encodes exactly the ones spec.usages
// and spec.isCA ask for; known usages; Approved and Denied conditions that
// are True and not both. It returns nil or a *ValidationError.
func Validate(r *CertificateRequest) error {
	if _, err := validate(r, nil); err != nil {
		return err
	}
	return nil
}

// validate is Validate returning the verified CSR as well, parsed and
// verified by csrs (nil: here).
func validate(r *CertificateRequest, csrs *pki.CSRMemo) (*x509.CertificateRequest, error) {
	var ps []FieldError
	add := func(field, format string, args ...any) {
		ps = append(ps, FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	ref := r.Spec.IssuerRef
	if ref.Name == "" {
		add("spec.issuerRef.name", "must be specified")
	}
	switch {
	case ref.Group != "" && ref.Group != "cert-manager.io":
		// cert-manager accepts external issuers; certflow serves none.
		add("spec.issuerRef.group", "must be cert-manager.io or empty: external issuers are not served, got %q", ref.Group)
	case ref.Kind != "" && ref.Kind != meta.KindIssuer && ref.Kind != meta.KindClusterIssuer:
		add("spec.issuerRef.kind", "must be one of Issuer or ClusterIssuer, got %q", ref.Kind)
	}
	var csr *x509.CertificateRequest
	ku, eku, uerr := pki.Usages(r.Spec.Usages, r.Spec.IsCA)
	switch {
	case len(r.Spec.Request) == 0:
		add("spec.request", "must be specified")
	case uerr != nil:
		add("spec.usages", "%v", uerr)
	default:
		var err error
		if csr, err = csrs.ParseVerified(r.Spec.Request); err != nil {
			add("spec.request", "%v", err)
		} else if err := csrUsagesMatch(csr, ku, eku); err != nil {
			add("spec.request", "encoded CSR error: %v", err)
		}
	}
	// cert-manager's ValidateCertificateRequestApprovalCondition.
	var approved, denied []meta.Condition
	for _, c := range r.Status.Conditions {
		switch c.Type {
		case meta.ConditionApproved:
			approved = append(approved, c)
		case meta.ConditionDenied:
			denied = append(denied, c)
		}
	}
	for _, found := range [][]meta.Condition{approved, denied} {
		switch {
		case len(found) > 1:
			add("status.conditions", "multiple %q conditions present", found[0].Type)
		case len(found) == 1 && found[0].Status != meta.ConditionTrue:
			add("status.conditions."+string(found[0].Type), "%q condition may only be set to True", found[0].Type)
		}
	}
	if len(approved) > 0 && len(denied) > 0 {
		add("status.conditions", "both 'Denied' and 'Approved' conditions cannot coexist")
	}
	if len(ps) > 0 {
		return nil, &ValidationError{Problems: ps}
	}
	return csr, nil
}

var (
	oidKeyUsage    = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
	extKeyUsageOID = map[x509.ExtKeyUsage]asn1.ObjectIdentifier{
		x509.ExtKeyUsageAny:                            {2, 5, 29, 37, 0},
		x509.ExtKeyUsageServerAuth:                     {1, 3, 6, 1, 5, 5, 7, 3, 1},
		x509.ExtKeyUsageClientAuth:                     {1, 3, 6, 1, 5, 5, 7, 3, 2},
		x509.ExtKeyUsageCodeSigning:                    {1, 3, 6, 1, 5, 5, 7, 3, 3},
		x509.ExtKeyUsageEmailProtection:                {1, 3, 6, 1, 5, 5, 7, 3, 4},
		x509.ExtKeyUsageIPSECEndSystem:                 {1, 3, 6, 1, 5, 5, 7, 3, 5},
		x509.ExtKeyUsageIPSECTunnel:                    {1, 3, 6, 1, 5, 5, 7, 3, 6},
		x509.ExtKeyUsageIPSECUser:                      {1, 3, 6, 1, 5, 5, 7, 3, 7},
		x509.ExtKeyUsageTimeStamping:                   {1, 3, 6, 1, 5, 5, 7, 3, 8},
		x509.ExtKeyUsageOCSPSigning:                    {1, 3, 6, 1, 5, 5, 7, 3, 9},
		x509.ExtKeyUsageMicrosoftServerGatedCrypto:     {1, 3, 6, 1, 4, 1, 311, 10, 3, 3},
		x509.ExtKeyUsageNetscapeServerGatedCrypto:      {2, 16, 840, 1, 113730, 4, 1},
		x509.ExtKeyUsageMicrosoftCommercialCodeSigning: {1, 3, 6, 1, 4, 1, 311, 2, 1, 22},
		x509.ExtKeyUsageMicrosoftKernelCodeSigning:     {1, 3, 6, 1, 4, 1, 311, 61, 1, 1},
	}
)

// csrUsagesMatch checks the key usage and extended key usage extensions a
// CSR carries, if any, against the usages the request asks for. A CSR
// without them is fine (certflow's own CSRs carry none).
func csrUsagesMatch(csr *x509.CertificateRequest, ku x509.KeyUsage, eku []x509.ExtKeyUsage) error {
	for _, ext := range csr.Extensions {
		switch {
		case ext.Id.Equal(oidKeyUsage):
			var bits asn1.BitString
			if _, err := asn1.Unmarshal(ext.Value, &bits); err != nil {
				return fmt.Errorf("unreadable key usage extension: %w", err)
			}
			var got x509.KeyUsage
			for i := 0; i < 9; i++ {
				if bits.At(i) != 0 {
					got |= 1 << uint(i)
				}
			}
			if got != ku {
				return fmt.Errorf("the KeyUsages %s do not match the expected KeyUsages %s", kuNames(got), kuNames(ku))
			}
		case ext.Id.Equal(oidExtKeyUsage):
			var oids []asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(ext.Value, &oids); err != nil {
				return fmt.Errorf("unreadable extended key usage extension: %w", err)
			}
			want := make([]string, 0, len(eku))
			for _, u := range eku {
				want = append(want, extKeyUsageOID[u].String())
			}
			got := make([]string, 0, len(oids))
			for _, o := range oids {
				got = append(got, o.String())
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(slices.Compact(want), slices.Compact(got)) {
				return fmt.Errorf("the ExtKeyUsages %v do not match the expected ExtKeyUsages %v", got, want)
			}
		}
	}
	return nil
}

func kuNames(ku x509.KeyUsage) string {
	names := []string{"digital signature", "content commitment", "key encipherment", "data encipherment",
		"key agreement", "cert sign", "crl sign", "encipher only", "decipher only"}
	var out []string
	for i, n := range names {
		if ku&(1<<uint(i)) != 0 {
			out = append(out, n)
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}
