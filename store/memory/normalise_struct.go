package memory

import (
	"reflect"
	"strings"
	"time"
)

// fieldNorm is how one field of a struct comes back from JSON.
type fieldNorm struct {
	index     int
	norm      normaliser
	omitEmpty bool // an empty slice or map is left out, and comes back nil
	omitZero  func(reflect.Value) bool
}

func (b *normBuilder) structOf(t reflect.Type) normaliser {
	jfs, ok := jsonFieldsOf(t)
	if !ok {
		return nil
	}
	var fields []fieldNorm
	for _, f := range jfs {
		if f.dropped {
			continue
		}
		fn := fieldNorm{index: f.index, norm: b.build(f.Type), omitEmpty: f.omitEmpty, omitZero: f.omitZero}
		if fn.norm == nil {
			return nil
		}
		fields = append(fields, fn)
	}
	return func(dst, src, prev reflect.Value) bool {
		for _, f := range fields {
			s := src.Field(f.index)
			if f.omitEmpty && s.Len() == 0 || f.omitZero != nil && f.omitZero(s) {
				continue
			}
			var p reflect.Value
			if prev.IsValid() {
				p = prev.Field(f.index)
			}
			if !f.norm(dst.Field(f.index), s, p) {
				return false
			}
		}
		return true
	}
}

var isZeroerType = reflect.TypeFor[interface{ IsZero() bool }]()

// isZeroFunc is how omitzero decides a value of t is zero: its own IsZero
// method, or reflect's. Nil for the cases not reproduced (a pointer or
// interface with an IsZero method, or a method on the pointer only).
func isZeroFunc(t reflect.Type) func(reflect.Value) bool {
	switch {
	case t == timeType:
		return func(v reflect.Value) bool { t, _ := reflect.TypeAssert[time.Time](v); return t.IsZero() }
	case t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface:
		if t.Implements(isZeroerType) {
			return nil
		}
	case t.Implements(isZeroerType):
		return func(v reflect.Value) bool { return v.Interface().(interface{ IsZero() bool }).IsZero() }
	case reflect.PointerTo(t).Implements(isZeroerType):
		return nil
	}
	return reflect.Value.IsZero
}

// jsonNamesUnique reports whether every field JSON encodes of t, with the
// fields of its embedded structs promoted, has a name of its own: where
// names repeat, JSON keeps one by depth and tags, which a field by field
// copy does not.
func jsonNamesUnique(t reflect.Type, seen map[string]bool) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			if !jsonNamesUnique(f.Type, seen) {
				return false
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if seen[name] {
			return false
		}
		seen[name] = true
	}
	return true
}
