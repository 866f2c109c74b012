package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"

	"sigs.k8s.io/yaml"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// Decode reads every object in data: YAML documents separated by `---`
// lines, or JSON; a document of `kind: List` contributes its items. Empty
// documents are skipped. Fields certflow does not know are ignored, except
// a namespace in an issuerRef, which is rejected (ErrIssuerRefNamespace).
//
// Input longer than DefaultMaxBytes is refused unparsed with a
// *TooLargeError (ErrTooLarge); DecodeReader takes a different limit.
// On any other problem Decode returns nil and an Errors value listing every
// problem it found, each a *DocumentError naming the document, the line
// and the field, matching one of ErrSyntax, ErrUnknownKind,
// ErrIssuerRefNamespace or ErrInvalidValue.
func Decode(data []byte) ([]meta.Object, error) {
	return decodeLimited(data, decodeOptions{maxBytes: DefaultMaxBytes})
}

// DecodeStrict is Decode that also rejects duplicate keys (ErrSyntax) and
// fields the target type does not have (ErrUnknownField, one error per
// field, with its path). Field names must match exactly in case.
func DecodeStrict(data []byte) ([]meta.Object, error) {
	return decodeLimited(data, decodeOptions{maxBytes: DefaultMaxBytes, strict: true})
}

// DecodeReader reads a manifest from r and decodes it as Decode does (as
// DecodeStrict with the Strict option). It reads at most one byte more than
// the limit (DefaultMaxBytes, or MaxBytes): longer input is refused with a
// *TooLargeError (ErrTooLarge) before any of it is parsed. A read error is
// returned wrapped.
func DecodeReader(r io.Reader, opts ...DecodeOption) ([]meta.Object, error) {
	o := resolve(opts)
	if o.maxBytes < math.MaxInt64 {
		r = io.LimitReader(r, o.maxBytes+1) // one more, to tell "at" from "past" the limit
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("manifest: read: %w", err)
	}
	if int64(len(data)) > o.maxBytes {
		return nil, &TooLargeError{Limit: o.maxBytes}
	}
	return decodeLimited(data, o)
}

func decodeLimited(data []byte, o decodeOptions) ([]meta.Object, error) {
	if int64(len(data)) > o.maxBytes {
		return nil, &TooLargeError{Limit: o.maxBytes, Size: int64(len(data))}
	}
	return decode(data, o)
}

func decode(data []byte, opts decodeOptions) ([]meta.Object, error) {
	var (
		objs []meta.Object
		errs Errors
	)
	// Editors on Windows like to start files with a byte order mark.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	index := 0
	fields := fieldsByType{}
	for _, d := range splitDocuments(data) {
		o, e, empty := decodeDocument(index, d, opts, fields)
		if empty {
			continue
		}
		index++
		place(d, e)
		objs = append(objs, o...)
		errs = append(errs, e...)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return objs, nil
}

// decodeDocument decodes one document; empty reports a document that is
// null (such as a lone "~"), which is skipped like an empty one.
func decodeDocument(index int, d document, opts decodeOptions, fields fieldsByType) (objs []meta.Object, errs Errors, empty bool) {
	at := DocumentError{Index: index, Item: -1, Line: d.first}
	toJSON := yaml.YAMLToJSON
	if opts.strict {
		toJSON = yaml.YAMLToJSONStrict
	}
	j, err := toJSON(d.body)
	if err != nil {
		msg, line := absoluteLines(err.Error(), d.line)
		if line > 0 {
			at.Line = line
		}
		return nil, Errors{at.with("", ErrSyntax, errors.New(msg))}, false
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber() // keep integers exact until the typed decode
	if err := dec.Decode(&v); err != nil {
		return nil, Errors{at.with("", ErrSyntax, err)}, false
	}
	if v == nil {
		return nil, nil, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errors{at.with("", ErrSyntax, fmt.Errorf("want an object with apiVersion and kind, got %s", jsonType(v)))}, false
	}
	if m["kind"] != "List" {
		o, errs := decodeObject(m, j, at, opts, fields)
		if o == nil {
			return nil, errs, false
		}
		return []meta.Object{o}, errs, false
	}
	items, ok := m["items"].([]any)
	if _, present := m["items"]; present && !ok {
		return nil, Errors{at.with("items", ErrSyntax, fmt.Errorf("want a list, got %s", jsonType(m["items"])))}, false
	}
	for i, it := range items {
		at := at
		at.Item = i
		im, ok := it.(map[string]any)
		if !ok {
			errs = append(errs, at.with("", ErrSyntax, fmt.Errorf("want an object with apiVersion and kind, got %s", jsonType(it))))
			continue
		}
		o, e := decodeObject(im, nil, at, opts, fields)
		if o != nil {
			objs = append(objs, o)
		}
		errs = append(errs, e...)
	}
	return objs, errs, false
}

// decodeObject decodes one object; it returns nil and the problems when
// there are any. raw, if not nil, is m encoded (the document's JSON), which
// spares encoding m again for the typed decode.
func decodeObject(m map[string]any, raw []byte, at DocumentError, opts decodeOptions, fields fieldsByType) (meta.Object, Errors) {
	at.APIVersion, _ = m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	at.Kind = meta.Kind(kind)
	if md, ok := m["metadata"].(map[string]any); ok {
		at.Name, _ = md["name"].(string)
	}
	obj, err := newObject(at.APIVersion, at.Kind)
	if err != nil {
		return nil, Errors{at.with("", ErrUnknownKind, err)}
	}
	var errs Errors
	var stringData map[string]string
	if _, ok := obj.(*secret.Secret); ok {
		stringData, errs = popStringData(m, at)
		raw = nil // m may have lost its stringData
	}
	c := checker{strict: opts.strict, fields: fields}
	c.check(m, reflect.TypeOf(obj), "")
	for _, p := range c.problems {
		errs = append(errs, at.with(p.path, p.err, p.cause))
	}
	if len(errs) > 0 {
		if opts.validate {
			errs = append(errs, salvage(m, obj, errs, at)...)
		}
		return nil, errs
	}
	if raw == nil {
		raw, err = json.Marshal(m)
	}
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		if opts.strict {
			dec.DisallowUnknownFields()
		}
		err = dec.Decode(obj)
	}
	if err != nil { // the checker should have caught it; report what json says
		path := ""
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			path = te.Field
		}
		return nil, Errors{at.with(path, ErrInvalidValue, err)}
	}
	if s, ok := obj.(*secret.Secret); ok && len(stringData) > 0 {
		if s.Data == nil {
			s.Data = make(map[string][]byte, len(stringData))
		}
		for k, v := range stringData {
			s.Data[k] = []byte(v) // stringData wins over data, as in Kubernetes
		}
	}
	if opts.validate {
		for _, p := range validateObject(obj) {
			errs = append(errs, at.with(p.field, ErrInvalidObject, p.cause))
		}
		if len(errs) > 0 {
			return nil, errs
		}
	}
	return obj, nil
}

// popStringData removes a Secret's write-only stringData from m and returns it.
func popStringData(m map[string]any, at DocumentError) (map[string]string, Errors) {
	raw, ok := m["stringData"]
	if !ok {
		return nil, nil
	}
	delete(m, "stringData")
	if raw == nil {
		return nil, nil
	}
	sm, ok := raw.(map[string]any)
	if !ok {
		return nil, Errors{at.with("stringData", ErrInvalidValue, fmt.Errorf("want an object, got %s", jsonType(raw)))}
	}
	out := make(map[string]string, len(sm))
	var errs Errors
	for _, k := range sortedKeys(sm) {
		s, ok := sm[k].(string)
		if !ok {
			errs = append(errs, at.with(mapPath("stringData", k), ErrInvalidValue, fmt.Errorf("want a string, got %s", jsonType(sm[k]))))
			continue
		}
		out[k] = s
	}
	return out, errs
}

// newObject returns an empty object of the kind a manifest names.
func newObject(apiVersion string, kind meta.Kind) (meta.Object, error) {
	var o meta.Object
	switch kind {
	case meta.KindIssuer:
		o = &issuer.Issuer{}
	case meta.KindClusterIssuer:
		o = &issuer.ClusterIssuer{}
	case meta.KindCertificate:
		o = &certificate.Certificate{}
	case meta.KindCertificateRequest:
		o = &request.CertificateRequest{}
	case meta.KindOrder:
		o = &order.Order{}
	case meta.KindChallenge:
		o = &challenge.Challenge{}
	case meta.KindSecret:
		o = &secret.Secret{}
	case meta.KindEvent:
		o = &meta.Event{}
	case "":
		return nil, errors.New("kind is missing")
	default:
		return nil, fmt.Errorf("kind %q (apiVersion %q) is not one certflow decodes", kind, apiVersion)
	}
	switch want := kind.APIVersion(); apiVersion {
	case want:
		return o, nil
	case "":
		return nil, fmt.Errorf("apiVersion is missing; %s is served as %s", kind, want)
	default:
		return nil, fmt.Errorf("%s is served as apiVersion %s, not %q", kind, want, apiVersion)
	}
}

// place moves each problem that names a field (or a List item) from the
// document's first line to the line of that field.
func place(d document, errs Errors) {
	if len(errs) == 0 {
		return
	}
	l := locator{doc: d}
	for _, e := range errs {
		if e.Path == "" && e.Item < 0 {
			continue
		}
		if n := l.line(e.Item, e.Path); n > 0 {
			e.Line = n
		}
	}
}

// with returns a copy of the document location carrying one problem.
func (e DocumentError) with(path string, err, cause error) *DocumentError {
	e.Path, e.Err, e.Cause = path, err, cause
	return &e
}
