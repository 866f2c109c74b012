package memory

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// slabEncoder appends v to a slab; slabDecoder sets v (settable, zero)
// from one.
type (
	slabEncoder func(w *slabWriter, v reflect.Value)
	slabDecoder func(r *slabReader, v reflect.Value)
)

// valueCodec is the slab codec of one type.
type valueCodec struct {
	enc slabEncoder
	dec slabDecoder
}

// slabCodecs builds codecs, tying recursive types through pointers to
// codecs still being built, as normBuilder does.
type slabCodecs struct {
	done     map[reflect.Type]*valueCodec
	building map[reflect.Type]*valueCodec
	// failed is set when any part has no codec: every part is built for
	// the type asked for, which contains it and so has none either (and a
	// codec built meanwhile may refer to the failed part's empty one).
	failed bool
}

func (b *slabCodecs) build(t reflect.Type) *valueCodec {
	if c, ok := b.done[t]; ok {
		return c
	}
	if c, ok := b.building[t]; ok {
		return c // recursive: filled in when its building ends
	}
	c := &valueCodec{}
	b.building[t] = c
	made := b.make(t)
	delete(b.building, t)
	if made == nil {
		b.done[t] = nil
		b.failed = true
		return nil
	}
	*c = *made
	b.done[t] = c
	return c
}

func (b *slabCodecs) make(t reflect.Type) *valueCodec {
	if t == timeType {
		return &valueCodec{encTime, decTime}
	}
	switch t.Kind() {
	case reflect.Bool:
		return &valueCodec{
			func(w *slabWriter, v reflect.Value) {
				if v.Bool() {
					w.byte1(1)
				} else {
					w.byte1(0)
				}
			},
			func(r *slabReader, v reflect.Value) { v.SetBool(r.byte1() != 0) },
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &valueCodec{
			func(w *slabWriter, v reflect.Value) { w.varint(v.Int()) },
			func(r *slabReader, v reflect.Value) { v.SetInt(r.varint()) },
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &valueCodec{
			func(w *slabWriter, v reflect.Value) { w.uvarint(v.Uint()) },
			func(r *slabReader, v reflect.Value) { v.SetUint(r.uvarint()) },
		}
	case reflect.String:
		return &valueCodec{
			func(w *slabWriter, v reflect.Value) { w.string(v.String(), sharedStringLen) },
			func(r *slabReader, v reflect.Value) { v.SetString(r.string()) },
		}
	case reflect.Pointer:
		return b.pointer(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return &valueCodec{
				func(w *slabWriter, v reflect.Value) { w.bytes(v.Bytes()) },
				func(r *slabReader, v reflect.Value) { v.SetBytes(r.bytes()) },
			}
		}
		return b.slice(t)
	case reflect.Array:
		return b.array(t)
	case reflect.Map:
		return b.mapOf(t)
	case reflect.Struct:
		return b.structOf(t, nil)
	}
	return nil
}

func (b *slabCodecs) pointer(t reflect.Type) *valueCodec {
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	et := t.Elem()
	return &valueCodec{
		func(w *slabWriter, v reflect.Value) {
			if v.IsNil() {
				w.byte1(0)
				return
			}
			w.byte1(1)
			elem.enc(w, v.Elem())
		},
		func(r *slabReader, v reflect.Value) {
			if r.byte1() == 0 {
				return
			}
			p := reflect.New(et)
			elem.dec(r, p.Elem())
			v.Set(p)
		},
	}
}

func (b *slabCodecs) slice(t reflect.Type) *valueCodec {
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	return &valueCodec{
		func(w *slabWriter, v reflect.Value) {
			if v.IsNil() {
				w.uvarint(0)
				return
			}
			n := v.Len()
			w.uvarint(uint64(n) + 1)
			for i := range n {
				elem.enc(w, v.Index(i))
			}
		},
		func(r *slabReader, v reflect.Value) {
			h := r.uvarint()
			if h == 0 {
				return
			}
			n := int(h - 1)
			if n == 0 {
				v.Set(reflect.MakeSlice(t, 0, 0)) // empty, not nil
				return
			}
			// Grow allocates the array only, not a slice header too.
			v.Grow(n)
			v.SetLen(n)
			for i := range n {
				elem.dec(r, v.Index(i))
			}
		},
	}
}

func (b *slabCodecs) array(t reflect.Type) *valueCodec {
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	return &valueCodec{
		func(w *slabWriter, v reflect.Value) {
			for i := range v.Len() {
				elem.enc(w, v.Index(i))
			}
		},
		func(r *slabReader, v reflect.Value) {
			for i := range v.Len() {
				elem.dec(r, v.Index(i))
			}
		},
	}
}

// mapOf keeps a map with string keys as its entries in key order, the keys
// shared from sharedKeyLen bytes (labels and annotations repeat their keys
// across objects).
func (b *slabCodecs) mapOf(t reflect.Type) *valueCodec {
	if t.Key().Kind() != reflect.String {
		return nil
	}
	elem := b.build(t.Elem())
	if elem == nil {
		return nil
	}
	kt := t.Key()
	dec := func(r *slabReader, v reflect.Value) {
		h := r.uvarint()
		if h == 0 {
			return
		}
		n := int(h - 1)
		m := reflect.MakeMapWithSize(t, n)
		k, e := reflect.New(kt).Elem(), reflect.New(t.Elem()).Elem()
		for range n {
			k.SetString(r.string())
			e.SetZero()
			elem.dec(r, e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	}
	switch t { // a Secret's data, labels: without reflection
	case bytesMapType:
		dec = func(r *slabReader, v reflect.Value) {
			if h := r.uvarint(); h > 0 {
				m := make(map[string][]byte, h-1)
				for range h - 1 {
					k := r.string()
					m[k] = r.bytes()
				}
				v.Set(reflect.ValueOf(m))
			}
		}
	case stringMapType:
		dec = func(r *slabReader, v reflect.Value) {
			if m := readStringMap(r); m != nil {
				v.Set(reflect.ValueOf(m))
			}
		}
	}
	return &valueCodec{
		func(w *slabWriter, v reflect.Value) {
			if v.IsNil() {
				w.uvarint(0)
				return
			}
			keys := make([]reflect.Value, 0, v.Len())
			for it := v.MapRange(); it.Next(); {
				keys = append(keys, it.Key())
			}
			slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
			w.uvarint(uint64(len(keys)) + 1)
			for _, k := range keys {
				w.string(k.String(), sharedKeyLen)
				elem.enc(w, v.MapIndex(k))
			}
		},
		dec,
	}
}

// structOf keeps t's exported fields in order (jsonFieldsOf's: a
// normalised value's unexported fields are zero), but for the field at
// index path skip (the metadata, which slab_meta.go keeps), if any. A
// struct normalisation declines has no codec.
func (b *slabCodecs) structOf(t reflect.Type, skip []int) *valueCodec {
	type field struct {
		index int
		c     *valueCodec
		off   uintptr
		leaf  leaf // slab_leaf.go; kind leafNone: through c
	}
	jfs, ok := jsonFieldsOf(t)
	if !ok {
		return nil
	}
	var fields []field
	for _, f := range jfs {
		i := f.index
		if len(skip) == 1 && i == skip[0] {
			continue
		}
		var c *valueCodec
		if len(skip) > 1 && i == skip[0] {
			c = b.structOf(f.Type, skip[1:]) // the struct holding the metadata
		} else {
			c = b.build(f.Type)
		}
		if c == nil {
			return nil
		}
		fd := field{index: i, c: c, off: f.Offset}
		if len(skip) <= 1 || i != skip[0] {
			fd.leaf = leafOf(f.Type)
		}
		fields = append(fields, fd)
	}
	return &valueCodec{
		func(w *slabWriter, v reflect.Value) {
			base := addrOf(v)
			for i := range fields {
				f := &fields[i]
				if f.leaf.kind != leafNone && base != nil {
					f.leaf.enc(w, unsafe.Add(base, f.off), false)
					continue
				}
				f.c.enc(w, v.Field(f.index))
			}
		},
		func(r *slabReader, v reflect.Value) {
			base := addrOf(v) // v is settable: never nil
			for i := range fields {
				f := &fields[i]
				if f.leaf.kind != leafNone && base != nil {
					f.leaf.dec(r, unsafe.Add(base, f.off))
					continue
				}
				f.c.dec(r, v.Field(f.index))
			}
		},
	}
}

func encTime(w *slabWriter, v reflect.Value) {
	t, _ := reflect.TypeAssert[time.Time](v) // v may be a map's value: not addressable
	writeTime(w, t)
}

func writeTime(w *slabWriter, t time.Time) {
	if t.Location() == time.UTC && t.IsZero() {
		w.byte1(2) // omitzero times, an Event's FirstTime
		return
	}
	if t.Location() == time.UTC {
		w.byte1(0)
		w.varint(t.Unix())
		w.uvarint(uint64(t.Nanosecond()))
		return
	}
	b, err := t.MarshalBinary()
	if err != nil {
		panic("memory: slab: a normalised time does not encode: " + err.Error())
	}
	w.byte1(1)
	w.uvarint(uint64(len(b)))
	w.buf = append(w.buf, b...)
}

func decTime(r *slabReader, v reflect.Value) {
	*(*time.Time)(unsafe.Pointer(v.UnsafeAddr())) = readTime(r)
}

func readTime(r *slabReader) time.Time {
	switch r.byte1() {
	case 2:
		return time.Time{}
	case 0:
		sec := r.varint()
		return time.Unix(sec, int64(r.uvarint())).UTC()
	}
	var t time.Time
	if err := t.UnmarshalBinary(r.raw(int(r.uvarint()))); err != nil {
		panic("memory: slab: a kept time does not decode: " + err.Error())
	}
	return t
}

// objectCodec is the codec of a kind kept in slabs: its metadata by
// slab_meta.go, the rest by rest.
type objectCodec struct {
	typ  reflect.Type // the struct type; objects are pointers to it
	rest *valueCodec  // every exported field but the metadata
	meta []int        // index path of the metadata field

	directOnce sync.Once
	directEnc  directEncoder // slab_direct.go; nil: none
}

// objectCodecOf returns the codec of t (a struct type whose pointer is a
// meta.Object), or nil when its objects are not kept in slabs: t has no
// normaliser, holds what valueCodecOf cannot keep, or its metadata is not
// a direct field.
func objectCodecOf(t reflect.Type) *objectCodec {
	if v, ok := objectCodecs.Load(t); ok {
		return v.(*objectCodec)
	}
	c := makeObjectCodec(t)
	objectCodecs.Store(t, c)
	return c
}

var objectCodecs sync.Map // reflect.Type → *objectCodec (nil: none)

func makeObjectCodec(t reflect.Type) *objectCodec {
	if t.Kind() != reflect.Struct || !copyable(t) || normaliserOf(t) == nil || !metaCodecFits() {
		return nil
	}
	meta := metaFieldOf(t)
	if meta == nil {
		return nil
	}
	b := slabCodecs{done: map[reflect.Type]*valueCodec{}, building: map[reflect.Type]*valueCodec{}}
	rest := b.structOf(t, meta)
	if rest == nil || b.failed {
		return nil
	}
	return &objectCodec{typ: t, rest: rest, meta: meta}
}
