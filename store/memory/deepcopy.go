package memory

import (
	"bytes"
	"reflect"
	"sync"
	"time"
)

// deepCopy sets dst (addressable) to a copy of src (same type) sharing no
// pointer, map or slice with it. Types are checked by copyable first.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.New(src.Type().Elem())
		deepCopy(n.Elem(), src.Elem())
		dst.Set(n)
	case reflect.Map:
		copyMap(dst, src)
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		if et := src.Type().Elem(); et.Kind() == reflect.Uint8 {
			dst.SetBytes(bytes.Clone(src.Bytes()))
			return
		}
		n := src.Len()
		if n == 0 {
			dst.Set(reflect.MakeSlice(src.Type(), 0, 0)) // empty, not nil
			return
		}
		// Grow on dst allocates the array only, not a slice header too.
		dst.SetZero()
		dst.Grow(n)
		dst.SetLen(n)
		if flat(src.Type().Elem()) {
			reflect.Copy(dst, src)
			return
		}
		for i := range n {
			deepCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Array:
		if flat(src.Type()) {
			dst.Set(src)
			return
		}
		for i := 0; i < src.Len(); i++ {
			deepCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Struct:
		dst.Set(src)
		for _, i := range deepFields(src.Type()) {
			deepCopy(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}

// copyMap is deepCopy of a map. One key and one value are reused for every
// entry (SetMapIndex copies them in), so entries cost no allocation of
// their own beyond what their values hold.
func copyMap(dst, src reflect.Value) {
	if src.IsNil() {
		dst.SetZero()
		return
	}
	t := src.Type()
	m := reflect.MakeMapWithSize(t, src.Len())
	k, v := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
	flatKey, flatValue := flat(t.Key()), flat(t.Elem())
	it := src.MapRange()
	for it.Next() {
		if flatKey {
			k.SetIterKey(it)
		} else {
			deepCopy(k, it.Key())
		}
		if flatValue {
			v.SetIterValue(it)
		} else {
			deepCopy(v, it.Value())
		}
		m.SetMapIndex(k, v)
	}
	dst.Set(m)
}

// deepFields returns the indexes of t's fields that deepCopy must copy
// field by field: exported ones that are not flat (the rest are copied with
// the struct).
func deepFields(t reflect.Type) []int {
	if v, ok := deepFieldsOf.Load(t); ok {
		return v.([]int)
	}
	var out []int
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && !flat(f.Type) {
			out = append(out, i)
		}
	}
	deepFieldsOf.Store(t, out)
	return out
}

var timeType = reflect.TypeFor[time.Time]()

// flat reports whether values of t hold no pointer, map or slice a copy
// could share (time.Time's location is immutable and shared by decoding too).
func flat(t reflect.Type) bool {
	if v, ok := flatTypes.Load(t); ok {
		return v.(bool)
	}
	f := isFlat(t)
	flatTypes.Store(t, f)
	return f
}

func isFlat(t reflect.Type) bool {
	if t == timeType {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return true
	case reflect.Array:
		return isFlat(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if !isFlat(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// copyable reports whether deepCopy copies t completely: no interfaces,
// channels or functions anywhere, and no unexported field that is not flat
// (deepCopy cannot reach into it).
func copyable(t reflect.Type) bool {
	if v, ok := copyableTypes.Load(t); ok {
		return v.(bool)
	}
	c := isCopyable(t, map[reflect.Type]bool{})
	copyableTypes.Store(t, c)
	return c
}

func isCopyable(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] || flat(t) {
		return true
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return isCopyable(t.Elem(), seen)
	case reflect.Map:
		return isCopyable(t.Key(), seen) && isCopyable(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !flat(f.Type) {
				return false
			}
			if !isCopyable(f.Type, seen) {
				return false
			}
		}
		return true
	}
	return false
}

// Caches of what a type's shape implies, filled on first use and never
// changed after: the same for every Store.
var flatTypes, copyableTypes, deepFieldsOf sync.Map
