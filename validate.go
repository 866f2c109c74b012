package certflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/solver"
)

// ErrInvalid is matched (errors.Is) by Apply's error for an object that
// cannot work as given; nothing was stored.
var ErrInvalid = errors.New("certflow: invalid object")

// InvalidError is Apply's answer for an object its kind's validation
// refuses. Err is that validation's own typed error, found with errors.As:
// certificate.ValidationErrors, *issuer.ValidationError,
// *request.ValidationError, *UnknownDNS01ProviderError (several joined when
// there are several).
type InvalidError struct {
	Object meta.Ref
	Err    error
}

func (e *InvalidError) Error() string { return fmt.Sprintf("certflow: apply %s: %v", e.Object, e.Err) }

// Unwrap returns the validation's error.
func (e *InvalidError) Unwrap() error { return e.Err }

// Is reports whether target is ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// UnknownDNS01ProviderError is a solver naming a DNS-01 provider the
// Manager was not given (Config.DNS01Providers). It matches
// ErrNoDNS01Provider.
type UnknownDNS01ProviderError struct {
	// Field is where the solver is, e.g. "spec.acme.solvers[1].dns01";
	// empty for a Challenge's solver.
	Field    string
	Provider string
	// Registered lists the providers the Manager has, sorted.
	Registered []string
}

func (e *UnknownDNS01ProviderError) Error() string {
	at := ""
	if e.Field != "" {
		at = e.Field + ": "
	}
	return fmt.Sprintf("%sDNS-01 provider %q is not registered with this Manager (registered: %s)",
		at, e.Provider, strings.Join(e.Registered, ", "))
}

// Unwrap returns ErrNoDNS01Provider.
func (e *UnknownDNS01ProviderError) Unwrap() error { return ErrNoDNS01Provider }

// ApplyOption changes how Apply checks what it stores.
type ApplyOption interface{ applyOption(*applyOptions) }

type applyOptions struct {
	anyProvider bool
	result      *ApplyResult // ReportResult's, or nil
}

type applyOptionFunc func(*applyOptions)

func (f applyOptionFunc) applyOption(o *applyOptions) { f(o) }

// AnyDNS01Provider makes Apply accept solvers naming DNS-01 providers this
// Manager was not given: for a tool that stores objects another Manager
// reconciles, with providers of its own. That Manager's challenges fail
// with an *UnknownDNS01ProviderError when it lacks one.
func AnyDNS01Provider() ApplyOption {
	return applyOptionFunc(func(o *applyOptions) { o.anyProvider = true })
}

// validate runs obj's kind's own validation, and checks that its solvers
// name registered DNS-01 providers.
func (m *Manager) validate(obj meta.Object, o applyOptions) error {
	var errs []error
	switch obj := obj.(type) {
	case *certificate.Certificate:
		errs = append(errs, certificate.Validate(obj))
	case *request.CertificateRequest:
		errs = append(errs, request.Validate(obj))
	case issuer.Object:
		spec := obj.IssuerSpec()
		errs = append(errs, issuer.Validate(spec))
		if spec.ACME != nil && !o.anyProvider {
			for i, s := range spec.ACME.Solvers {
				if s.DNS01 == nil || s.DNS01.Provider() == "" {
					continue // Validate says what is missing
				}
				if _, ok := m.wiring.dns01[s.DNS01.Provider()]; !ok {
					err := unknownProvider(m.wiring.dns01, s.DNS01.Provider())
					err.Field = fmt.Sprintf("spec.acme.solvers[%d].dns01", i)
					errs = append(errs, err)
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return &InvalidError{Object: meta.RefOf(obj), Err: err}
	}
	return nil
}

// unknownProvider is the error for name, which providers lacks.
func unknownProvider(providers map[string]solver.DNS01Provider, name string) *UnknownDNS01ProviderError {
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	slices.Sort(names)
	return &UnknownDNS01ProviderError{Provider: name, Registered: names}
}
