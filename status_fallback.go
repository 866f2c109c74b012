package certflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// addIssuerList shows, for a Certificate with fallback issuers, the list
// in the order it is tried, which one issued the current certificate and
// why each one before it was passed over.
func (n *StatusNode) addIssuerList(c *certificate.Certificate) {
	if len(c.Spec.FallbackIssuerRefs) == 0 && c.Status.IssuedBy == nil {
		return
	}
	ns := c.ObjectMeta.Namespace
	var refs []string
	for _, r := range c.Spec.IssuerRefs() {
		refs = append(refs, issuerText(r, ns))
	}
	n.add("Issuers", strings.Join(refs, ", "))
	if c.Status.IssuedBy != nil {
		n.add("Issued By", issuerText(*c.Status.IssuedBy, ns))
	}
	for _, s := range c.Status.SkippedIssuers {
		text := fmt.Sprintf("%s: %s: %s", issuerText(s.IssuerRef, ns), s.Reason, s.Message)
		if s.RetryAt != nil {
			text += " (not asked again before " + s.RetryAt.UTC().Format(time.RFC3339) + ")"
		}
		n.add("Skipped Issuer", text)
	}
}

// addRequestIssuer shows which issuer a request was for and, when it was
// passed over for the next one, why.
func (n *StatusNode) addRequestIssuer(r *request.CertificateRequest) {
	n.add("Issuer", issuerText(r.Spec.IssuerRef, r.ObjectMeta.Namespace))
	if f := r.Status.Fallback; f != nil {
		n.add("Passed Over", fmt.Sprintf("%s: %s", f.Reason, f.Message))
	}
}

func issuerText(r meta.IssuerRef, ns string) string {
	ref := r.Resolve(ns)
	return fmt.Sprintf("%s %s", ref.Kind, ref.Name)
}

// fallbackIssuerNodes are the status nodes of a Certificate's fallback
// issuers, after its first one.
func (m *Manager) fallbackIssuerNodes(ctx context.Context, c *certificate.Certificate) ([]*StatusNode, error) {
	var out []*StatusNode
	for _, r := range c.Spec.FallbackIssuerRefs {
		in, err := m.issuerStatus(ctx, r.Resolve(c.ObjectMeta.Namespace))
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// usesIssuer reports whether c names the issuer ref, first or as a
// fallback.
func usesIssuer(c *certificate.Certificate, ref meta.Ref) bool {
	for _, r := range c.Spec.IssuerRefs() {
		if r.Resolve(c.ObjectMeta.Namespace) == ref {
			return true
		}
	}
	return false
}
