package request

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/dnsname"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// ReasonInvalidOrder is the event reason when a CSR cannot become an ACME
// order (cert-manager's "InvalidOrder").
const ReasonInvalidOrder meta.Reason = "InvalidOrder"

// msgCommonNameNotInSANs is cert-manager's message
// (pkg/controller/certificaterequests/acme/acme.go, v1.21.1).
const msgCommonNameNotInSANs = "The CSR PEM requests a commonName that is not present in the list of dnsNames or ipAddresses. If a commonName is set, ACME requires that the value is also present in the list of dnsNames or ipAddresses"

// decideACME creates the request's Order (once: its name derives from the
// spec) and mirrors its outcome.
func decideACME(d *decision, req *CertificateRequest, csr *x509.CertificateRequest, s Snapshot) {
	now := s.Now
	spec, err := orderSpec(req, csr, s.Issuer)
	switch {
	case errors.Is(err, acmeproto.ErrCommonNameNotInSANs):
		fail(&d.plan, req, ReasonFailed, ReasonInvalidOrder, fmt.Sprintf("%s: %q does not exist in %v or %v",
			msgCommonNameNotInSANs, csr.Subject.CommonName, csr.DNSNames, ipStrings(csr)), now)
		return
	case err != nil:
		fail(&d.plan, req, ReasonFailed, ReasonFailed, "Failed to build order: "+err.Error(), now)
		return
	}
	name := s.orderName
	if name == "" {
		name = order.Name(req.ObjectMeta.Name, req.ObjectMeta.UID, spec)
	}
	o := s.Order
	if o == nil {
		d.plan.Create = append(d.plan.Create, &order.Order{
			ObjectMeta: meta.ObjectMeta{
				Namespace: req.ObjectMeta.Namespace,
				Name:      name,
				Labels:    req.ObjectMeta.Labels,
				OwnerRefs: []meta.Ref{meta.RefOf(req)},
			},
			Spec: spec,
		})
		msg := fmt.Sprintf("Created Order resource %s", name)
		setReady(req, meta.ConditionFalse, ReasonOrderCreated, msg, now)
		d.plan.Eventf(meta.EventNormal, ReasonOrderCreated, msg)
		return
	}
	if f, ok := orderFallback(o); ok && hasFallback(req) && o.Status.State != order.StateValid {
		// Before the order's own outcome: a rate-limited order would wait
		// out the CA's Retry-After, an unreachable CA would be retried
		// until the order times out, while the next issuer can issue now.
		passOver(d, req, f, now)
		return
	}
	switch o.Status.State {
	case order.StateValid:
		if len(o.Status.Certificate) == 0 {
			setReady(req, meta.ConditionFalse, ReasonPending, fmt.Sprintf("Waiting for order-controller to add certificate data to Order %s/%s", o.ObjectMeta.Namespace, name), now)
			return
		}
		d.plan.Events = append(d.plan.Events, issued(req, csr, o.Status.Certificate, nil, now, s.chains)...)
	case order.StateInvalid, order.StateErrored, order.StateExpired:
		fail(&d.plan, req, ReasonFailed, ReasonOrderFailed, fmt.Sprintf("Failed to wait for order resource %q to become ready: order is in %q state: %s",
			name, o.Status.State, o.Status.Reason), now)
	case order.StateUnknown, order.StatePending, order.StateReady, order.StateProcessing:
		if c := req.Status.Conditions.Get(meta.ConditionReady); o.Status.State == order.StateUnknown && o.Status.Reason == "" &&
			c != nil && c.Reason == ReasonOrderCreated {
			// The Order has not moved since it was created: "Created Order
			// resource" still says all there is.
			return
		}
		msg := fmt.Sprintf("Waiting on certificate issuance from order %s/%s: %q", o.ObjectMeta.Namespace, name, o.Status.State)
		if h := order.Holdup(o); h != "" {
			msg += ": " + h
		}
		setReady(req, meta.ConditionFalse, ReasonPending, msg, now)
	}
}

// orderSpec builds the Order for csr. Its identifiers are the CSR's DNS
// names and IP addresses, canonical and without duplicates; a commonName
// must be one of them (as cert-manager requires) and adds none.
func orderSpec(req *CertificateRequest, csr *x509.CertificateRequest, iss issuer.Object) (order.Spec, error) {
	if len(csr.URIs) > 0 || len(csr.EmailAddresses) > 0 {
		return order.Spec{}, fmt.Errorf("ACME issuers cannot sign URI or email SANs")
	}
	ids, err := acmeproto.Identifiers(csr)
	if err != nil {
		return order.Spec{}, err
	}
	spec := order.Spec{
		Request:   req.Spec.Request,
		IssuerRef: req.Spec.IssuerRef,
		Duration:  req.Spec.Duration,
		Profile:   iss.IssuerSpec().ACME.Profile,
		Replaces:  req.ObjectMeta.Annotations[AnnotationACMEReplaces],
	}
	if p := req.ObjectMeta.Annotations[AnnotationACMEProfile]; p != "" {
		spec.Profile = p
	}
	for _, id := range ids {
		switch id.Type {
		case "ip":
			spec.IPAddresses = append(spec.IPAddresses, id.Value)
		default:
			spec.DNSNames = append(spec.DNSNames, id.Value)
		}
	}
	if cn := csr.Subject.CommonName; cn != "" {
		// In the identifiers' own form, so that it names one of them.
		spec.CommonName = canonicalCN(cn)
	}
	return spec, nil
}

// canonicalCN writes a commonName (known to be one of the identifiers) as
// that identifier is written.
func canonicalCN(cn string) string {
	if a, err := netip.ParseAddr(cn); err == nil {
		return a.Unmap().String()
	}
	c, err := dnsname.Canonical(cn)
	if err != nil {
		return cn
	}
	return c
}

func ipStrings(csr *x509.CertificateRequest) []string {
	out := make([]string, 0, len(csr.IPAddresses))
	for _, ip := range csr.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}
