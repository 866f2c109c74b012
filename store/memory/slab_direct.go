package memory

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/certflow/certflow/meta"
)

// A write of a slab kind used to normalise the object into a copy
// (decodeAhead) and then write the copy into a slab: the copy, a tree of
// fresh structs, slices and maps, was garbage the moment the slab was
// written. Writing directly, with a pooled writer and the replaced
// version's handles, took keepAhead from 0.64 to 0.34 ms a certificate at
// 200:8 (docs/memory.md, "Writes straight into the slab").
//
// A direct encoder writes the caller's object into the slab as its
// normalised copy would be written, applying what normalisation changes
// (normalise.go) on the way:
//   - times as jsonTime gives them back (and a time JSON cannot carry
//     fails the encoder);
//   - invalid UTF-8 in a string replaced as JSON replaces it;
//   - a json.RawMessage compacted;
//   - an empty slice or map in an omitempty field, a zero value in an
//     omitzero field, a field tagged "-", and a pointer to a nil slice or
//     map written as their zero value.
//
// What it does not reproduce it declines (false), and the write takes the
// copy as before: a map key that is not valid UTF-8 (keys JSON makes equal
// collide). A type whose
// normaliser or codec does not exist has no direct encoder either. The
// slab a direct encoder writes is byte for byte the one the copy gives
// (slab_direct_test.go checks both ways on every kind).
type directEncoder func(w *slabWriter, v reflect.Value) bool

// directCodecs builds direct encoders, as slabCodecs builds codecs; plain
// are the codecs it writes values that normalisation leaves as they are
// with.
type directCodecs struct {
	plain    *slabCodecs
	done     map[reflect.Type]directEncoder
	building map[reflect.Type]*directEncoder
	failed   bool
}

func (b *directCodecs) build(t reflect.Type) directEncoder {
	if e, ok := b.done[t]; ok {
		return e
	}
	if p, ok := b.building[t]; ok {
		return func(w *slabWriter, v reflect.Value) bool { return (*p)(w, v) }
	}
	var e directEncoder
	b.building[t] = &e
	e = b.make(t)
	delete(b.building, t)
	b.done[t] = e
	if e == nil {
		b.failed = true
	}
	return e
}

func (b *directCodecs) make(t reflect.Type) directEncoder {
	if plainNormaliserOf(t) == nil {
		// What normalisation declines (custom JSON, pointers to pointers,
		// embedded pointers, ...) takes the JSON round trip: the direct
		// encoder declines it too, rather than encoding it its own way.
		return nil
	}
	switch t {
	case timeType:
		return func(w *slabWriter, v reflect.Value) bool {
			t, _ := reflect.TypeAssert[time.Time](v) // v may be a map's value: not addressable
			t, ok := jsonTime(t)
			if ok {
				writeTime(w, t)
			}
			return ok
		}
	case rawMessageType:
		return func(w *slabWriter, v reflect.Value) bool {
			b, err := json.Marshal(json.RawMessage(v.Bytes())) // compacted, as normRawMessage
			if err != nil {
				return false
			}
			w.bytes(b)
			return true
		}
	}
	switch t.Kind() {
	case reflect.String:
		return func(w *slabWriter, v reflect.Value) bool {
			w.string(validUTF8(v.String()), sharedStringLen)
			return true
		}
	case reflect.Pointer:
		return b.pointer(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return b.asIs(t)
		}
		return b.slice(t)
	case reflect.Array:
		elem := b.build(t.Elem())
		if elem == nil {
			return nil
		}
		return func(w *slabWriter, v reflect.Value) bool {
			for i := range v.Len() {
				if !elem(w, v.Index(i)) {
					return false
				}
			}
			return true
		}
	case reflect.Map:
		return b.mapOf(t)
	case reflect.Struct:
		if t == durationType {
			return b.asIs(t)
		}
		return b.structOf(t, nil)
	}
	return b.asIs(t) // booleans and integers
}

// asIs writes values of t with their codec: normalisation copies them.
func (b *directCodecs) asIs(t reflect.Type) directEncoder {
	c := b.plain.build(t)
	if c == nil {
		return nil
	}
	return func(w *slabWriter, v reflect.Value) bool {
		c.enc(w, v)
		return true
	}
}

func (b *directCodecs) pointer(t reflect.Type) directEncoder {
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	nullable := t.Elem().Kind() == reflect.Slice || t.Elem().Kind() == reflect.Map
	return func(w *slabWriter, v reflect.Value) bool {
		if v.IsNil() || nullable && v.Elem().IsNil() {
			w.byte1(0)
			return true
		}
		w.byte1(1)
		return elem(w, v.Elem())
	}
}

func (b *directCodecs) slice(t reflect.Type) directEncoder {
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	return func(w *slabWriter, v reflect.Value) bool {
		if v.IsNil() {
			w.uvarint(0)
			return true
		}
		n := v.Len()
		w.uvarint(uint64(n) + 1)
		for i := range n {
			if !elem(w, v.Index(i)) {
				return false
			}
		}
		return true
	}
}

// mapOf writes a map with string keys as its codec does, each value
// normalised; it declines a map with a key that is not valid UTF-8.
func (b *directCodecs) mapOf(t reflect.Type) directEncoder {
	if t.Key().Kind() != reflect.String {
		return nil
	}
	switch t {
	case stringMapType:
		return func(w *slabWriter, v reflect.Value) bool {
			return writeStringMapDirect(w, v.Interface().(map[string]string))
		}
	case bytesMapType:
		// A Secret's data: through reflection, its keys, iterator and
		// values cost ten allocations a write.
		return func(w *slabWriter, v reflect.Value) bool {
			return writeBytesMapDirect(w, v.Interface().(map[string][]byte))
		}
	}
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	return func(w *slabWriter, v reflect.Value) bool {
		if v.IsNil() {
			w.uvarint(0)
			return true
		}
		keys := make([]reflect.Value, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			if !utf8.ValidString(it.Key().String()) {
				return false
			}
			keys = append(keys, it.Key())
		}
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		w.uvarint(uint64(len(keys)) + 1)
		for _, k := range keys {
			w.string(k.String(), sharedKeyLen)
			if !elem(w, v.MapIndex(k)) {
				return false
			}
		}
		return true
	}
}

// writeStringMapDirect is writeStringMap of m normalised (nil stays nil).
func writeStringMapDirect(w *slabWriter, m map[string]string) bool {
	var few [smallMap]string
	keys, ok := writeMapHeader(w, m, &few, true)
	for _, k := range keys {
		w.string(k, sharedKeyLen)
		w.string(validUTF8(m[k]), sharedStringLen)
	}
	return ok
}

// writeBytesMapDirect is what mapOf writes of a map[string][]byte: its
// values are written as they are (normalisation keeps them).
func writeBytesMapDirect(w *slabWriter, m map[string][]byte) bool {
	var few [smallMap]string
	keys, ok := writeMapHeader(w, m, &few, true)
	for _, k := range keys {
		w.string(k, sharedKeyLen)
		w.bytes(m[k])
	}
	return ok
}

// directField is how one field is written: its normalised value, or its
// type's zero value where JSON leaves it out and it comes back zero.
type directField struct {
	index     int
	off       uintptr
	leaf      leaf // slab_leaf.go; kind leafNone: through enc
	enc       directEncoder
	zero      reflect.Value // the field type's zero value, addressable (codecs of times need it)
	zeroEnc   func(*slabWriter, reflect.Value)
	dropped   bool // tagged "-": always zero
	omitEmpty bool
	omitZero  func(reflect.Value) bool
}

// structOf mirrors slabCodecs.structOf (every exported field in order but
// the metadata at index path skip) and normBuilder.structOf (which fields
// come back zero).
func (b *directCodecs) structOf(t reflect.Type, skip []int) directEncoder {
	jfs, ok := jsonFieldsOf(t)
	if !ok {
		return nil
	}
	var fields []directField
	for _, f := range jfs {
		i := f.index
		if len(skip) > 0 && i == skip[0] && (f.dropped || f.hasOpts && !f.promoted) {
			return nil // the metadata, or the struct holding it, left out or optional
		}
		if len(skip) == 1 && i == skip[0] {
			continue // writeMetaDirect's
		}
		if len(skip) > 1 && i == skip[0] {
			enc := b.structOf(f.Type, skip[1:])
			if enc == nil {
				return nil
			}
			fields = append(fields, directField{index: i, enc: enc})
			continue
		}
		c := b.plain.build(f.Type)
		if c == nil {
			return nil
		}
		df := directField{index: i, off: f.Offset, zero: reflect.New(f.Type).Elem(), zeroEnc: c.enc,
			dropped: f.dropped, omitEmpty: f.omitEmpty, omitZero: f.omitZero}
		if !f.dropped {
			if df.enc = b.build(f.Type); df.enc == nil {
				return nil
			}
			if f.omitZero == nil && !df.omitEmpty {
				df.leaf = leafOf(f.Type)
			}
		}
		fields = append(fields, df)
	}
	return func(w *slabWriter, v reflect.Value) bool {
		base := addrOf(v)
		for i := range fields {
			f := &fields[i]
			if f.leaf.kind != leafNone && base != nil {
				if !f.leaf.enc(w, unsafe.Add(base, f.off), true) {
					return false
				}
				continue
			}
			s := v.Field(f.index)
			if f.dropped || f.omitEmpty && s.Len() == 0 || f.omitZero != nil && f.omitZero(s) {
				f.zeroEnc(w, f.zero)
				continue
			}
			if !f.enc(w, s) {
				return false
			}
		}
		return true
	}
}

// writeMetaDirect is writeMetaRest of m normalised. It declines a label
// or annotation key that is not valid UTF-8.
func writeMetaDirect(w *slabWriter, ref meta.Ref, m *meta.ObjectMeta) bool {
	if m.CreationTime != nil {
		// The store sets it, but a caller's that JSON cannot carry makes
		// the object invalid (the copy's fallback says so).
		if _, ok := jsonTime(*m.CreationTime); !ok {
			return false
		}
	}
	n := *m
	if n.DeletionTime != nil {
		t, ok := jsonTime(*n.DeletionTime)
		if !ok {
			return false
		}
		n.DeletionTime = &t
	}
	n.Namespace, n.Name = validUTF8(n.Namespace), validUTF8(n.Name)
	// omitempty: empty maps and slices come back nil.
	var ok bool
	if n.Labels, ok = directStringMap(n.Labels); !ok {
		return false
	}
	if n.Annotations, ok = directStringMap(n.Annotations); !ok {
		return false
	}
	if len(n.OwnerRefs) == 0 {
		n.OwnerRefs = nil
	}
	for i, o := range n.OwnerRefs {
		if v := (meta.Ref{Kind: meta.Kind(validUTF8(string(o.Kind))), Namespace: validUTF8(o.Namespace), Name: validUTF8(o.Name)}); v != o {
			if &n.OwnerRefs[0] == &m.OwnerRefs[0] {
				n.OwnerRefs = slices.Clone(n.OwnerRefs) // not the caller's
			}
			n.OwnerRefs[i] = v
		}
	}
	writeMetaRest(w, ref, &n)
	return true
}

// directStringMap returns labels or annotations as they come back from
// JSON: nil when empty, values made valid UTF-8 (in a copy, when any is
// not); false when a key is not valid UTF-8.
func directStringMap(m map[string]string) (map[string]string, bool) {
	if len(m) == 0 {
		return nil, true
	}
	var fixed map[string]string
	for k, v := range m {
		if !utf8.ValidString(k) {
			return nil, false
		}
		if !utf8.ValidString(v) && fixed == nil {
			fixed = maps.Clone(m)
		}
	}
	for k, v := range fixed {
		fixed[k] = validUTF8(v)
	}
	if fixed != nil {
		return fixed, true
	}
	return m, true
}

// direct is the direct encoder of an object codec's type (nil: none).
func (c *objectCodec) direct() directEncoder {
	c.directOnce.Do(func() {
		b := directCodecs{
			plain:    &slabCodecs{done: map[reflect.Type]*valueCodec{}, building: map[reflect.Type]*valueCodec{}},
			done:     map[reflect.Type]directEncoder{},
			building: map[reflect.Type]*directEncoder{},
		}
		if plainNormaliserOf(c.typ) == nil {
			return // structOf is not reached through make
		}
		enc := b.structOf(c.typ, c.meta)
		if enc != nil && !b.failed && !b.plain.failed {
			c.directEnc = enc
		}
	})
	return c.directEnc
}

// writeDirect writes obj (of c's type, not normalised) into a pooled
// writer as writeAhead writes its normalised copy, or returns nil when the
// direct encoder declines it (or there is none).
func (c *objectCodec) writeDirect(ref meta.Ref, obj meta.Object, rep *repeats, prev []strHandle) *slabWriter {
	enc := c.direct()
	if enc == nil {
		return nil
	}
	w := writers.Get().(*slabWriter)
	w.repeats, w.ref, w.prev = rep, ref, prev
	if !writeMetaDirect(w, ref, obj.GetMeta()) || !enc(w, reflect.ValueOf(obj).Elem()) {
		w.release()
		return nil
	}
	return w
}
