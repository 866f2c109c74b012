package manifest

import (
	"errors"
	"fmt"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
)

// ErrInvalidObject: an object decoded but its kind's own validation
// (certificate.Validate, issuer.Validate, request.Validate) refused it. The
// DocumentError's Cause matches that package's sentinel
// (certificate.ErrInvalid, issuer.ErrInvalidConfig, request.ErrInvalid).
var ErrInvalidObject = errors.New("manifest: invalid object")

// Validate is Decode followed by each object's own validation, so that one
// call finds everything a Manager would refuse: the shape problems Decode
// reports, and for every object that decodes, each field its kind's
// validator rejects, as a *DocumentError matching ErrInvalidObject at the
// field's line. It returns the objects only when there is no problem at all.
// Every object needs a metadata.name.
func Validate(data []byte) ([]meta.Object, error) { return decode(data, options{validate: true}) }

// fieldProblem is one problem a kind's validator found.
type fieldProblem struct {
	field string
	cause error
}

// validatorError carries one validator message and the validator's
// sentinel, without repeating the field the DocumentError already names.
type validatorError struct {
	msg      string
	sentinel error
}

func (e *validatorError) Error() string { return e.msg }
func (e *validatorError) Unwrap() error { return e.sentinel }

// validateObject runs o's kind's validator and returns its problems one
// per field; every object needs a name, whatever its kind checks.
func validateObject(o meta.Object) []fieldProblem {
	var out []fieldProblem
	add := func(field, msg string, sentinel error) {
		out = append(out, fieldProblem{field, &validatorError{msg, sentinel}})
	}
	if o.GetMeta().Name == "" && o.GetKind() != meta.KindCertificate { // certificate.Validate says so itself
		add("metadata.name", "is required", nil)
	}
	var err error
	switch o := o.(type) {
	case *certificate.Certificate:
		err = certificate.Validate(o)
	case *issuer.Issuer:
		err = issuer.Validate(&o.Spec)
	case *issuer.ClusterIssuer:
		err = issuer.Validate(&o.Spec)
	case *request.CertificateRequest:
		err = request.Validate(o)
	}
	var (
		ce certificate.ValidationErrors
		ie *issuer.ValidationError
		re *request.ValidationError
	)
	switch {
	case err == nil:
	case errors.As(err, &ce):
		for _, p := range ce {
			msg := p.Problem
			if p.Value != "" {
				msg = fmt.Sprintf("%q: %s", p.Value, p.Problem)
			}
			add(p.Field, msg, certificate.ErrInvalid)
		}
	case errors.As(err, &ie):
		for _, p := range ie.Problems {
			add(p.Field, p.Msg, issuer.ErrInvalidConfig)
		}
	case errors.As(err, &re):
		for _, p := range re.Problems {
			add(p.Field, p.Msg, request.ErrInvalid)
		}
	default:
		out = append(out, fieldProblem{"", err})
	}
	return out
}
