package manifest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/certflow/certflow/meta"
)

// Sentinels matched (errors.Is) by the *DocumentError that reports each problem.
var (
	// ErrSyntax: the document is not well-formed YAML/JSON, or not an object.
	ErrSyntax = errors.New("manifest: malformed document")
	// ErrUnknownKind: apiVersion/kind is missing or not one certflow serves.
	ErrUnknownKind = errors.New("manifest: unknown apiVersion/kind")
	// ErrUnknownField: DecodeStrict found a field the type does not have.
	ErrUnknownField = errors.New("manifest: unknown field")
	// ErrIssuerRefNamespace: an issuerRef names a namespace, which
	// cert-manager's issuerRef cannot express.
	ErrIssuerRefNamespace = errors.New("manifest: issuerRef has no namespace field; use an Issuer in the object's namespace or a ClusterIssuer")
	// ErrInvalidValue: a field holds a value of the wrong type or format
	// (a number for a string, "90 days" for a duration, bad base64).
	ErrInvalidValue = errors.New("manifest: invalid value")
	// ErrEncode: Encode was given nil or an object of a kind it cannot name.
	ErrEncode = errors.New("manifest: cannot encode")
)

// DocumentError is one problem in one document of a manifest stream.
type DocumentError struct {
	// Index is the 0-based position of the document among the stream's
	// non-empty documents.
	Index int
	// Item is the 0-based position inside a `kind: List` document, or -1
	// when the document is not a List.
	Item int
	// Line is the 1-based line of the input where the problem is: the
	// offending field's line (an absent field's closest present parent),
	// the line the yaml parser reports for a syntax error, or where the
	// document starts for a problem with the whole document; 0 when unknown.
	Line int
	// APIVersion, Kind and Name identify the object when they could be read.
	APIVersion string
	Kind       meta.Kind
	Name       string
	// Path is the offending field, e.g. "spec.issuerRef.namespace"; empty
	// when the problem is the whole document.
	Path string
	// Err is one of the package's sentinels.
	Err error
	// Cause is the underlying error, if any. It never holds field values of
	// Secrets, because none are parsed into messages.
	Cause error
}

// Error renders `manifest: documents[i] (line n, Kind "name"): path: problem: cause`.
func (e *DocumentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "manifest: documents[%d]", e.Index)
	if e.Item >= 0 {
		fmt.Fprintf(&b, ".items[%d]", e.Item)
	}
	var where []string
	if e.Line > 0 {
		where = append(where, fmt.Sprintf("line %d", e.Line))
	}
	if e.Kind != "" {
		k := string(e.Kind)
		if e.Name != "" {
			k += fmt.Sprintf(" %q", e.Name)
		}
		where = append(where, k)
	}
	if len(where) > 0 {
		b.WriteString(" (" + strings.Join(where, ", ") + ")")
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	if e.Err != nil {
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "manifest: "))
	}
	if e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns Err and Cause, so errors.Is matches the sentinel.
func (e *DocumentError) Unwrap() []error {
	var out []error
	for _, err := range []error{e.Err, e.Cause} {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// Errors is every problem Decode found, in input order. errors.As reaches
// each *DocumentError; errors.Is matches their sentinels.
type Errors []*DocumentError

// Error renders one problem per line.
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap returns the items.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
