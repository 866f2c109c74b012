package certflow

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// ErrIPNeedsHTTPOrTLSALPN is matched (errors.Is) by Apply's error for a
// Certificate naming an IP address that its ACME issuer has no HTTP-01 or
// TLS-ALPN-01 solver for: RFC 8738 lets a CA validate IP addresses with
// those two only, never DNS-01.
var ErrIPNeedsHTTPOrTLSALPN = errors.New("certflow: an IP address can be validated only by an HTTP-01 or TLS-ALPN-01 solver (RFC 8738)")

// IPSolverError is a Certificate's IP address that none of its ACME
// issuer's solvers can validate. It matches ErrIPNeedsHTTPOrTLSALPN.
type IPSolverError struct {
	// Field is where the address is, e.g. "spec.ipAddresses[0]".
	Field  string
	IP     string
	Issuer meta.Ref
}

func (e *IPSolverError) Error() string {
	return fmt.Sprintf("%s: %s: no solver of %s can validate it: IP addresses need an HTTP-01 or TLS-ALPN-01 solver (RFC 8738 allows no DNS-01)",
		e.Field, e.IP, e.Issuer)
}

// Unwrap returns ErrIPNeedsHTTPOrTLSALPN.
func (e *IPSolverError) Unwrap() error { return ErrIPNeedsHTTPOrTLSALPN }

// checkIPSolvers refuses a Certificate whose ACME issuer, if it is stored
// already, has no solver for one of its IP addresses. An issuer not stored
// yet (or not readable now) is not checked here: the Order then says the
// same when it finds no solver.
func (m *Manager) checkIPSolvers(ctx context.Context, obj meta.Object) error {
	c, ok := obj.(*certificate.Certificate)
	if !ok || len(c.Spec.IPAddresses) == 0 {
		return nil
	}
	ref := c.Spec.IssuerRef.Resolve(c.ObjectMeta.Namespace)
	iss, err := newObject(ref.Kind)
	if err != nil {
		return nil // Validate refused the kind already
	}
	if m.cfg.Store.Get(ctx, ref, iss) != nil {
		return nil
	}
	io, ok := iss.(issuer.Object)
	if !ok || io.IssuerSpec().ACME == nil {
		return nil
	}
	var errs []error
	for i, ip := range c.Spec.IPAddresses {
		id := ip
		if a, err := netip.ParseAddr(ip); err == nil {
			id = a.Unmap().String() // as the order's identifier, which solvers are selected for
		}
		if _, ok := solver.Select(io.IssuerSpec().ACME.Solvers, id, false, c.ObjectMeta.Labels); !ok {
			errs = append(errs, &IPSolverError{Field: fmt.Sprintf("spec.ipAddresses[%d]", i), IP: ip, Issuer: ref})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &InvalidError{Object: meta.RefOf(obj), Err: err}
	}
	return nil
}
