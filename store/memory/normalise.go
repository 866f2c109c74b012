package memory

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/certflow/certflow/meta"
)

// A normaliser sets dst, a zero value of src's type held by nothing else,
// to what src becomes when encoding/json encodes it and decodes it again,
// sharing nothing with src: the store keeps what a store of JSON would give
// back without spending a JSON round trip on every write (issue 11: ~15% of
// the CPU of an ACME issuance). Strings and byte slices are the canonical
// copies share would make.
//
// prev, if valid, is the same part of the version the store holds now (or
// any value of src's type that is already normalised): where src equals it,
// a string or byte slice is taken from it instead of being looked up again
// (unique.Make was most of the cost of a write that changes a few fields).
//
// It reports false when src holds a value this does not reproduce: one
// JSON cannot encode (a time past year 9999, invalid raw JSON) or one whose
// encoding does not decode (a year before 0); the caller then takes the
// JSON round trip, which gives the same typed error, or keeps the encoding.
//
// What JSON changes, and so what a normaliser does beyond a deep copy:
//   - times lose their monotonic reading, and come back in UTC when their
//     offset is zero (other offsets: Local or a fixed zone, as time.Parse
//     decides; those take time's own MarshalJSON and UnmarshalJSON);
//   - invalid UTF-8 in strings and map keys becomes U+FFFD, byte by byte
//     (keys that then collide keep the value of the last in sorted order);
//   - an empty slice or map in an omitempty field, and a zero value in an
//     omitzero field, come back nil (zero);
//   - unexported fields and fields tagged "-" come back zero;
//   - a json.RawMessage comes back compacted, with HTML escaped;
//   - a pointer to a nil slice or map comes back nil (null);
//   - nil stays nil and empty stays empty everywhere else (an empty byte
//     slice is "" and decodes non-nil).
//
// Types with any other custom encoding (json.Marshaler, TextMarshaler and
// their decoding counterparts), interfaces, floats, pointers to pointers,
// non-string map keys, the ",string" option, embedded pointers or unexported
// embedded structs, and field names JSON would resolve by depth have no
// normaliser: they take the JSON round trip.
type normaliser func(dst, src, prev reflect.Value) bool

// normaliserOf returns t's normaliser, or nil if t holds something a
// normaliser does not reproduce.
func normaliserOf(t reflect.Type) normaliser {
	if v, ok := normalisers.Load(t); ok {
		return v.(normaliser)
	}
	b := normBuilder{done: map[reflect.Type]normaliser{}, building: map[reflect.Type]*normaliser{}}
	n := b.build(t)
	// Only whole types are cached: a part built while its container was
	// still being built may refer to the container's unfinished normaliser.
	normalisers.Store(t, n)
	return n
}

var normalisers sync.Map // reflect.Type → normaliser (nil: none)

type normBuilder struct {
	done     map[reflect.Type]normaliser
	building map[reflect.Type]*normaliser
}

func (b *normBuilder) build(t reflect.Type) normaliser {
	if n, ok := b.done[t]; ok {
		return n
	}
	if p, ok := b.building[t]; ok {
		// A recursive type: refer to the normaliser being built. If it ends
		// nil, so does the type containing this reference.
		return func(dst, src, prev reflect.Value) bool { return (*p)(dst, src, prev) }
	}
	var n normaliser
	b.building[t] = &n
	n = b.make(t)
	delete(b.building, t)
	b.done[t] = n
	return n
}

var (
	durationType   = reflect.TypeFor[meta.Duration]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

func (b *normBuilder) make(t reflect.Type) normaliser {
	switch t {
	case timeType:
		return normTime
	case durationType:
		// Duration.String and time.ParseDuration give back every value.
		return copyValue
	case rawMessageType:
		return normRawMessage
	}
	if t.Kind() != reflect.Pointer && customJSON(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return copyValue
	case reflect.String:
		return normString
	case reflect.Pointer:
		return b.pointer(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !customJSON(t.Elem()) {
			return normBytes
		}
		return b.slice(t)
	case reflect.Array:
		return b.array(t)
	case reflect.Map:
		return b.mapOf(t)
	case reflect.Struct:
		return b.structOf(t)
	}
	return nil
}

var (
	marshalerType       = reflect.TypeFor[json.Marshaler]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// customJSON reports whether t or *t changes how JSON encodes or decodes t.
func customJSON(t reflect.Type) bool {
	for _, i := range []reflect.Type{marshalerType, unmarshalerType, textMarshalerType, textUnmarshalerType} {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

func copyValue(dst, src, _ reflect.Value) bool {
	dst.Set(src)
	return true
}

func normString(dst, src, prev reflect.Value) bool {
	s := src.String()
	if s == "" {
		return true
	}
	if prev.IsValid() {
		if p := prev.String(); p == s {
			dst.SetString(p) // already canonical
			return true
		}
	}
	dst.SetString(canonical(validUTF8(s)))
	return true
}

// validUTF8 is s as JSON encodes it: each byte that is not part of a valid
// UTF-8 sequence replaced by U+FFFD (strings.ToValidUTF8 replaces runs).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

// normBytes: base64 gives every byte back; nil is null, empty is "" and
// decodes to an empty slice that is not nil.
func normBytes(dst, src, prev reflect.Value) bool {
	if src.IsNil() {
		return true
	}
	var p []byte
	if prev.IsValid() {
		p = prev.Bytes()
	}
	dst.SetBytes(jsonBytes(src.Bytes(), p))
	return true
}

// jsonBytes is b as it comes back from JSON, taken from prev if equal (the
// stored, canonical copy: read-only too).
func jsonBytes(b, prev []byte) []byte {
	switch {
	case b == nil:
		return nil
	case len(b) == 0:
		return []byte{}
	case len(prev) > 0 && bytes.Equal(prev, b):
		return prev
	}
	return canonicalBytes(b)
}

func normTime(dst, src, _ reflect.Value) bool {
	t, _ := reflect.TypeAssert[time.Time](src)
	t, ok := jsonTime(t)
	if ok {
		*dst.Addr().Interface().(*time.Time) = t
	}
	return ok
}

// jsonTime returns t as it decodes from its JSON encoding, or false when
// that encoding fails or does not decode.
func jsonTime(t time.Time) (time.Time, bool) {
	if _, offset := t.Zone(); offset == 0 {
		// RFC 3339 with "Z": the instant to the nanosecond, in UTC.
		if y := t.Year(); y < 0 || y > 9999 {
			return time.Time{}, false
		}
		return t.Round(0).UTC(), true
	}
	// Rare (certflow writes UTC or Local times): let time decide which
	// location the offset comes back in, and whether seconds of it are lost.
	b, err := t.MarshalJSON()
	if err != nil {
		return time.Time{}, false
	}
	var u time.Time
	if err := u.UnmarshalJSON(b); err != nil {
		return time.Time{}, false
	}
	return u, true
}

// normRawMessage: JSON compacts what a RawMessage holds (escaping HTML)
// and hands the result back as it stands.
func normRawMessage(dst, src, _ reflect.Value) bool {
	b, err := json.Marshal(json.RawMessage(src.Bytes()))
	if err != nil {
		return false
	}
	dst.SetBytes(canonicalBytes(b))
	return true
}

func (b *normBuilder) pointer(t reflect.Type) normaliser {
	if t.Elem().Kind() == reflect.Pointer {
		return nil // null decodes into the outer pointer, not the inner
	}
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	// A nil slice or map encodes as null, which decodes into a nil pointer.
	nullable := t.Elem().Kind() == reflect.Slice || t.Elem().Kind() == reflect.Map
	return func(dst, src, prev reflect.Value) bool {
		if src.IsNil() || nullable && src.Elem().IsNil() {
			return true
		}
		if prev.IsValid() {
			if prev.IsNil() {
				prev = reflect.Value{}
			} else {
				prev = prev.Elem()
			}
		}
		p := reflect.New(t.Elem())
		if !elem(p.Elem(), src.Elem(), prev) {
			return false
		}
		dst.Set(p)
		return true
	}
}

func (b *normBuilder) slice(t reflect.Type) normaliser {
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	return func(dst, src, prev reflect.Value) bool {
		if src.IsNil() {
			return true
		}
		n := src.Len()
		dst.Set(reflect.MakeSlice(t, n, n))
		for i := range n {
			if !elem(dst.Index(i), src.Index(i), at(prev, i)) {
				return false
			}
		}
		return true
	}
}

func (b *normBuilder) array(t reflect.Type) normaliser {
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	return func(dst, src, prev reflect.Value) bool {
		for i := range src.Len() {
			if !elem(dst.Index(i), src.Index(i), at(prev, i)) {
				return false
			}
		}
		return true
	}
}

func (b *normBuilder) mapOf(t reflect.Type) normaliser {
	switch t {
	case stringMapType: // labels, annotations: written with every object
		return normStringMap
	case bytesMapType:
		return normBytesMap
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
			k.SetString(canonical(validUTF8(key)))
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

// at is prev's element i, or the invalid Value when there is none.
func at(prev reflect.Value, i int) reflect.Value {
	if !prev.IsValid() || i >= prev.Len() {
		return reflect.Value{}
	}
	return prev.Index(i)
}

// normStringMap is mapOf's normaliser of a map[string]string, without
// reflection.
func normStringMap(dst, src, prev reflect.Value) bool {
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
		k = canonical(validUTF8(k))
		switch p, ok := pm[k]; {
		case v == "":
		case ok && p == v:
			v = p // already canonical
		default:
			v = canonical(validUTF8(v))
		}
		out[k] = v
	}
	eachInJSONOrder(m, put)
	dst.Set(reflect.ValueOf(out))
	return true
}

// normBytesMap is mapOf's normaliser of a map[string][]byte, without
// reflection.
func normBytesMap(dst, src, prev reflect.Value) bool {
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
		k = canonical(validUTF8(k))
		out[k] = jsonBytes(b, pm[k])
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

// fieldNorm is how one field of a struct comes back from JSON.
type fieldNorm struct {
	index     int
	norm      normaliser
	omitEmpty bool // an empty slice or map is left out, and comes back nil
	omitZero  func(reflect.Value) bool
}

func (b *normBuilder) structOf(t reflect.Type) normaliser {
	if !jsonNamesUnique(t, map[string]bool{}) {
		return nil
	}
	var fields []fieldNorm
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && !f.IsExported() {
			if ft := f.Type; ft.Kind() == reflect.Struct || ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
				return nil // JSON promotes its exported fields
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Pointer {
			return nil // JSON allocates it only when one of its fields is present
		}
		fn := fieldNorm{index: i, norm: b.build(f.Type)}
		if fn.norm == nil {
			return nil
		}
		if !(f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct) { // promoted fields have no options
			for o := range strings.SplitSeq(opts, ",") {
				switch o {
				case "string":
					return nil
				case "omitempty":
					fn.omitEmpty = f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Map
				case "omitzero":
					if fn.omitZero = isZeroFunc(f.Type); fn.omitZero == nil {
						return nil
					}
				}
			}
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
