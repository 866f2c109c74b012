package memory

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

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
func normaliserOf(t reflect.Type) normaliser { return normaliserWith(t, &normalisers, canonical) }

// plainNormaliserOf is normaliserOf but for strings and byte slices, which
// it does not make canonical: they may be src's own (strings are
// immutable, and its byte slices are not changed meanwhile), for a value
// copied into a slab at once, which needs no canonical copies, and whose
// lookups were most of the unique map's size and of a write's cost.
func plainNormaliserOf(t reflect.Type) normaliser {
	return normaliserWith(t, &plainNormalisers, func(s string) string { return s })
}

func normaliserWith(t reflect.Type, cache *sync.Map, keep func(string) string) normaliser {
	if v, ok := cache.Load(t); ok {
		return v.(normaliser)
	}
	b := normBuilder{done: map[reflect.Type]normaliser{}, building: map[reflect.Type]*normaliser{}, keep: keep}
	n := b.build(t)
	// Only whole types are cached: a part built while its container was
	// still being built may refer to the container's unfinished normaliser.
	cache.Store(t, n)
	return n
}

var normalisers, plainNormalisers sync.Map // reflect.Type → normaliser (nil: none)

type normBuilder struct {
	done     map[reflect.Type]normaliser
	building map[reflect.Type]*normaliser
	// keep returns the copy of a string (or, through keepBytes, a byte
	// slice's content) the normalised value holds.
	keep func(string) string
}

// keepBytes is keep for a byte slice: never to be written to.
func (b *normBuilder) keepBytes(p []byte) []byte {
	s := b.keep(unsafe.String(unsafe.SliceData(p), len(p)))
	return unsafe.Slice(unsafe.StringData(s), len(s))
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
		return b.normRawMessage
	}
	if t.Kind() != reflect.Pointer && customJSON(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return copyValue
	case reflect.String:
		return b.normString
	case reflect.Pointer:
		return b.pointer(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !customJSON(t.Elem()) {
			return b.normBytes
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

func (b *normBuilder) normString(dst, src, prev reflect.Value) bool {
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
	dst.SetString(b.keep(validUTF8(s)))
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
func (b *normBuilder) normBytes(dst, src, prev reflect.Value) bool {
	if src.IsNil() {
		return true
	}
	var p []byte
	if prev.IsValid() {
		p = prev.Bytes()
	}
	dst.SetBytes(b.jsonBytes(src.Bytes(), p))
	return true
}

// jsonBytes is b as it comes back from JSON, taken from prev if equal (the
// stored, canonical copy: read-only too).
func (nb *normBuilder) jsonBytes(b, prev []byte) []byte {
	switch {
	case b == nil:
		return nil
	case len(b) == 0:
		return []byte{}
	case len(prev) > 0 && bytes.Equal(prev, b):
		return prev
	}
	return nb.keepBytes(b)
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
	// A UTC time (what certflow writes) needs no lookup of its zone.
	if t.Location() == time.UTC || zoneOffset(t) == 0 {
		// RFC 3339 with "Z": the instant to the nanosecond, in UTC.
		// Years 0 to 9999 are the seconds from jsonMinUnix to jsonMaxUnix
		// (at offset 0 the year is UTC's, without working out the date).
		if u := t.Unix(); u < jsonMinUnix || u > jsonMaxUnix {
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

// The first and last second of the years RFC 3339 (and so JSON) carries.
const (
	jsonMinUnix = -62167219200 // 0000-01-01T00:00:00Z
	jsonMaxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

func zoneOffset(t time.Time) int {
	_, offset := t.Zone()
	return offset
}

// normRawMessage: JSON compacts what a RawMessage holds (escaping HTML)
// and hands the result back as it stands.
func (nb *normBuilder) normRawMessage(dst, src, _ reflect.Value) bool {
	b, err := json.Marshal(json.RawMessage(src.Bytes()))
	if err != nil {
		return false
	}
	dst.SetBytes(nb.keepBytes(b))
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

// at is prev's element i, or the invalid Value when there is none.
func at(prev reflect.Value, i int) reflect.Value {
	if !prev.IsValid() || i >= prev.Len() {
		return reflect.Value{}
	}
	return prev.Index(i)
}
