package certflow

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/certflow/certflow/meta"
)

// specChanged reports whether b differs from a in anything but metadata,
// status, apiVersion and kind: whether applying b over a changes its spec,
// so its Generation. What counts is the JSON encoding, as stored: a nil
// and an empty list omitted alike are no change.
//
// Two objects of one struct type are compared field by field first: equal
// fields (reflect.DeepEqual) have equal encodings, and only when one
// differs are the objects encoded to decide. That spares re-applying an
// unchanged object (a program applying its manifest at every start) the
// two encodings, and the decoding and re-encoding of each, it cost before.
func specChanged(a, b meta.Object) (bool, error) {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() || va.Kind() != reflect.Pointer || va.Elem().Kind() != reflect.Struct {
		return specChangedJSON(a, b)
	}
	if specFieldsEqual(va.Elem(), vb.Elem()) {
		return false, nil
	}
	ja, err := json.Marshal(specOnly(va.Elem()).Interface())
	if err != nil {
		return false, err
	}
	jb, err := json.Marshal(specOnly(vb.Elem()).Interface())
	if err != nil {
		return false, err
	}
	return !bytes.Equal(ja, jb), nil
}

// notSpec are the top-level JSON keys specChanged ignores.
var notSpec = [...]string{"metadata", "status", "apiVersion", "kind"}

// specField says how the struct field f is encoded: as a field of its own
// under key, or (embedded) as the fields of its struct.
func specField(f reflect.StructField) (key string, embedded bool) {
	key, _, _ = strings.Cut(f.Tag.Get("json"), ",")
	if key == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
		return "", true
	}
	if key == "" {
		key = f.Name
	}
	return key, false
}

func isNotSpec(key string) bool {
	for _, k := range notSpec {
		if key == k {
			return true
		}
	}
	return false
}

// specFieldsEqual reports whether the addressable structs a and b, of one
// type, hold deeply equal values in every exported field specChanged
// compares (what encoding/json encodes, and what json:"-" hides too).
func specFieldsEqual(a, b reflect.Value) bool {
	t := a.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key, embedded := specField(f)
		switch {
		case embedded:
			if !specFieldsEqual(a.Field(i), b.Field(i)) {
				return false
			}
		case !f.IsExported() || isNotSpec(key):
		case !reflect.DeepEqual(a.Field(i).Addr().Interface(), b.Field(i).Addr().Interface()):
			return false
		}
	}
	return true
}

// specOnly returns a pointer to a copy of the struct v with the fields
// encoded under a notSpec key cleared.
func specOnly(v reflect.Value) reflect.Value {
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	clearNotSpec(p.Elem())
	return p
}

func clearNotSpec(v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		key, embedded := specField(f)
		switch {
		case embedded:
			clearNotSpec(v.Field(i))
		case isNotSpec(key) && v.Field(i).CanSet():
			v.Field(i).SetZero()
		}
	}
}

// specChangedJSON is specChanged for two objects of different types: it
// compares their encodings without the notSpec keys.
func specChangedJSON(a, b meta.Object) (bool, error) {
	sa, err := specJSON(a)
	if err != nil {
		return false, err
	}
	sb, err := specJSON(b)
	if err != nil {
		return false, err
	}
	return !bytes.Equal(sa, sb), nil
}

func specJSON(o meta.Object) ([]byte, error) {
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	for _, k := range notSpec {
		delete(fields, k)
	}
	return json.Marshal(fields)
}
