package memory

import (
	"reflect"
	"sync"
	"unique"
	"unsafe"
)

// share replaces every string and byte slice reachable from v, a value
// decoded for an entry and held by nothing else, by the process's canonical
// copy of the same content (unique.Make), so objects repeating what others
// hold share one copy: the CA's certificate in every request and Secret, a
// chain in both its request and its Secret, annotation keys, namespaces,
// condition reasons and messages, event texts. With 100k certificates that
// is a third of what the store holds.
//
// Canonical copies are weak: one nothing else refers to is forgotten by the
// next collection, and a later equal string gets a new canonical copy. So
// equal content written within one collection cycle shares, and what was
// written long apart may not; nothing is held for ever.
//
// A shared byte slice is read-only: entries are immutable, Get hands out
// deep copies (deepCopy clones byte slices) and List encodes, so no caller
// ever holds one.
func share(v reflect.Value) {
	if !shareable(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 {
			v.SetString(canonical(v.String()))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			share(v.Elem())
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Len() > 0 {
				v.SetBytes(canonicalBytes(v.Bytes()))
			}
			return
		}
		for i := range v.Len() {
			share(v.Index(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			share(v.Index(i))
		}
	case reflect.Struct:
		for _, i := range sharedFields(v.Type()) {
			share(v.Field(i))
		}
	case reflect.Map:
		shareMap(v)
	}
}

// shareMap shares a map's keys and values. Storing an entry under an equal
// key replaces the stored key too (the runtime updates string keys), so
// the map ends holding canonical keys.
func shareMap(m reflect.Value) {
	if m.IsNil() || m.Len() == 0 {
		return
	}
	t := m.Type()
	keys, values := shareable(t.Key()), shareable(t.Elem())
	k, v := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
	for _, key := range m.MapKeys() {
		k.Set(key)
		v.Set(m.MapIndex(key))
		if keys {
			share(k)
		}
		if values {
			share(v)
		}
		m.SetMapIndex(k, v)
	}
}

func canonical(s string) string { return unique.Make(s).Value() }

// canonicalBytes returns the canonical copy of b's content, as a byte slice
// over the canonical string's bytes: never to be written to.
func canonicalBytes(b []byte) []byte {
	// The view of b is only looked up: unique.Make copies what it keeps.
	s := canonical(unsafe.String(unsafe.SliceData(b), len(b)))
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// shareable reports whether values of t can hold a string or a byte slice
// share reaches: through exported fields, pointers, slices, arrays and maps
// (interfaces are left alone; copyable types have none).
func shareable(t reflect.Type) bool {
	if v, ok := shareableTypes.Load(t); ok {
		return v.(bool)
	}
	s := isShareable(t, map[reflect.Type]bool{})
	shareableTypes.Store(t, s)
	return s
}

func isShareable(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false // a cycle: whatever it holds is found by another path
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.String:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.Uint8 || isShareable(t.Elem(), seen)
	case reflect.Pointer, reflect.Array:
		return isShareable(t.Elem(), seen)
	case reflect.Map:
		return isShareable(t.Key(), seen) || isShareable(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && isShareable(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// sharedFields returns the indexes of t's exported fields that can hold
// what share replaces.
func sharedFields(t reflect.Type) []int {
	if v, ok := sharedFieldsOf.Load(t); ok {
		return v.([]int)
	}
	var out []int
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && shareable(f.Type) {
			out = append(out, i)
		}
	}
	sharedFieldsOf.Store(t, out)
	return out
}

// Caches of what a type's shape implies, as deepCopy's.
var shareableTypes, sharedFieldsOf sync.Map
