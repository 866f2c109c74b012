package manifest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
// Every object needs a metadata.name. Input past DefaultMaxBytes is refused
// unparsed, as by Decode.
func Validate(data []byte) ([]meta.Object, error) {
	return decodeLimited(data, decodeOptions{maxBytes: DefaultMaxBytes, validate: true})
}

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

// salvage validates what can be decoded of an object with shape problems,
// so that one pass reports its other problems too: the members the shape
// problems name are dropped (a whole list for a problem in one of its
// items), the rest is decoded and validated, and the validator's problems
// at, above or below a dropped member are left out, since they would only
// repeat it ("is required" for a member dropped for its type).
func salvage(m map[string]any, obj meta.Object, shape Errors, at DocumentError) Errors {
	var dropped []string
	for _, e := range shape {
		if e.Path == "" || e.Item != at.Item {
			return nil // the whole document is wrong: nothing to salvage
		}
		p := dropMember(m, e.Path)
		if p == "" {
			return nil
		}
		dropped = append(dropped, p)
	}
	raw, err := json.Marshal(m)
	if err != nil || json.Unmarshal(raw, obj) != nil {
		return nil
	}
	var out Errors
	for _, p := range validateObject(obj) {
		if !relatedToAny(p.field, dropped) {
			out = append(out, at.with(p.field, ErrInvalidObject, p.cause))
		}
	}
	return out
}

// dropMember deletes the member path names from m, or the list holding it,
// and returns the path of what it deleted ("" if nothing).
func dropMember(m map[string]any, path string) string {
	segs, ok := splitPath(path)
	if !ok {
		return ""
	}
	for i, s := range segs {
		if s.isIndex {
			segs = segs[:i]
			break
		}
	}
	if len(segs) == 0 {
		return ""
	}
	cur := m
	var b strings.Builder
	for i, s := range segs {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
		if i == len(segs)-1 {
			delete(cur, s.key)
			break
		}
		next, ok := cur[s.key].(map[string]any)
		if !ok {
			return ""
		}
		cur = next
	}
	return b.String()
}

// relatedToAny reports whether field is one of paths, inside one, or
// holds one.
func relatedToAny(field string, paths []string) bool {
	within := func(a, b string) bool {
		return a == b || strings.HasPrefix(a, b+".") || strings.HasPrefix(a, b+"[")
	}
	for _, p := range paths {
		if within(field, p) || within(p, field) || field == "" {
			return true
		}
	}
	return false
}
