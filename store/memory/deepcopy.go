package memory

import (
	"reflect"
	"sync"
	"time"
)

// deepCopy sets dst to a copy of src (same type) sharing no pointer, map or
// slice with it. Types are checked by copyable first.
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
		if src.IsNil() {
			dst.SetZero()
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		kt, vt := src.Type().Key(), src.Type().Elem()
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(kt).Elem()
			deepCopy(k, it.Key())
			v := reflect.New(vt).Elem()
			deepCopy(v, it.Value())
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		if flat(src.Type().Elem()) {
			reflect.Copy(s, src)
		} else {
			for i := 0; i < src.Len(); i++ {
				deepCopy(s.Index(i), src.Index(i))
			}
		}
		dst.Set(s)
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
		if flat(src.Type()) {
			return
		}
		for i := 0; i < src.NumField(); i++ {
			if f := src.Type().Field(i); f.IsExported() && !flat(f.Type) {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	default:
		dst.Set(src)
	}
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

var flatTypes, copyableTypes sync.Map
