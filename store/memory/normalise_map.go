package memory

import (
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// mapOf builds the normaliser of a map with string keys: nil stays nil,
// keys and values come back as JSON writes them, each value normalised on
// its own (the value of the same key in prev lends its content).
func (b *normBuilder) mapOf(t reflect.Type) normaliser {
	switch t {
	case stringMapType: // labels, annotations: written with every object
		return b.normStringMap
	case bytesMapType:
		return b.normBytesMap
	}
	if t.Key().Kind() != reflect.String || customJSON(t.Key()) {
		return nil
	}
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	return func(dst, src, prev reflect.Value) bool {
		if src.IsNil() {
			return true
		}
		if prev.IsValid() && prev.IsNil() {
			prev = reflect.Value{}
		}
		m := reflect.MakeMapWithSize(t, src.Len())
		k, v := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		put := func(key string, value reflect.Value) bool {
			k.SetString(b.keep(validUTF8(key)))
			v.SetZero()
			var pv reflect.Value
			if prev.IsValid() {
				pv = prev.MapIndex(k) // invalid if absent
			}
			if !elem(v, value, pv) {
				return false
			}
			m.SetMapIndex(k, v)
			return true
		}
		if validKeys(src) {
			for it := src.MapRange(); it.Next(); {
				if !put(it.Key().String(), it.Value()) {
					return false
				}
			}
		} else {
			// Keys JSON makes equal: the encoding sorts by the original
			// keys, and the decoding keeps the last value of a key.
			keys := src.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
			for _, key := range keys {
				if !put(key.String(), src.MapIndex(key)) {
					return false
				}
			}
		}
		dst.Set(m)
		return true
	}
}

// normStringMap is mapOf's normaliser of a map[string]string, without
// reflection.
func (b *normBuilder) normStringMap(dst, src, prev reflect.Value) bool {
	m := src.Interface().(map[string]string)
	if m == nil {
		return true
	}
	var pm map[string]string
	if prev.IsValid() {
		pm = prev.Interface().(map[string]string)
	}
	out := make(map[string]string, len(m))
	put := func(k, v string) {
		k = b.keep(validUTF8(k))
		switch p, ok := pm[k]; {
		case v == "":
		case ok && p == v:
			v = p // already canonical
		default:
			v = b.keep(validUTF8(v))
		}
		out[k] = v
	}
	eachInJSONOrder(m, put)
	dst.Set(reflect.ValueOf(out))
	return true
}

// normBytesMap is mapOf's normaliser of a map[string][]byte, without
// reflection.
func (nb *normBuilder) normBytesMap(dst, src, prev reflect.Value) bool {
	m := src.Interface().(map[string][]byte)
	if m == nil {
		return true
	}
	var pm map[string][]byte
	if prev.IsValid() {
		pm = prev.Interface().(map[string][]byte)
	}
	out := make(map[string][]byte, len(m))
	eachInJSONOrder(m, func(k string, b []byte) {
		k = nb.keep(validUTF8(k))
		out[k] = nb.jsonBytes(b, pm[k])
	})
	dst.Set(reflect.ValueOf(out))
	return true
}

// eachInJSONOrder calls put with each entry of m, in sorted key order when
// some keys are not valid UTF-8: JSON may make them equal, and then the
// last in that order wins.
func eachInJSONOrder[V any](m map[string]V, put func(string, V)) {
	for k := range m {
		if !utf8.ValidString(k) {
			for _, k := range sortedKeys(m) {
				put(k, m[k])
			}
			return
		}
	}
	for k, v := range m {
		put(k, v)
	}
}

func validKeys(m reflect.Value) bool {
	for it := m.MapRange(); it.Next(); {
		if !utf8.ValidString(it.Key().String()) {
			return false
		}
	}
	return true
}
