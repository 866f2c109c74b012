package memory

import (
	"reflect"
	"slices"
	"sync"
	"unsafe"

	"github.com/certflow/certflow/meta"
)

// A Go map costs at least ~340 bytes however few entries it holds (a
// header and a group of eight slots), and one of nine to sixteen entries
// ~700: the labels of a Certificate or an Event, the annotations of a
// request or a Secret and the Secret's data were a third of what the store
// held per certificate. So the store keeps such maps packed: the stored
// object's field is nil, and the entry holds the map's keys and values in
// slices (two words per string), from which Get, List and the watch build
// the map again for whoever reads them.
//
// Packed are the map[string]string and map[string][]byte fields reached
// from the object through struct fields only (not through pointers, slices
// or maps), so a shallow copy of the object can carry the rebuilt maps.

// packedMap is one packed map field: kv holds the keys and values
// interleaved for a map[string]string, the keys alone for a
// map[string][]byte, whose values are in blobs in the same order. Keys are
// sorted. A non-nil map without entries packs to empty kv and blobs.
type packedMap struct {
	field int // index in packing.fields
	kv    []string
	blobs [][]byte
}

// packing is what a type has to pack, found once per type.
type packing struct {
	fields [][]int // index paths of the packed fields
	// labels and annotations are the indexes in fields of the metadata's
	// Labels and Annotations, or -1.
	labels, annotations int
}

var (
	stringMapType = reflect.TypeFor[map[string]string]()
	bytesMapType  = reflect.TypeFor[map[string][]byte]()
)

// packingOf returns what t (a struct type whose pointer is a meta.Object)
// packs.
func packingOf(t reflect.Type) *packing {
	if v, ok := packings.Load(t); ok {
		return v.(*packing)
	}
	p := &packing{labels: -1, annotations: -1}
	var walk func(st reflect.Type, path []int)
	walk = func(st reflect.Type, path []int) {
		for i := 0; i < st.NumField(); i++ {
			f := st.Field(i)
			if !f.IsExported() {
				continue
			}
			at := append(slices.Clip(path), i)
			switch {
			case f.Type == stringMapType || f.Type == bytesMapType:
				p.fields = append(p.fields, at)
			case f.Type.Kind() == reflect.Struct && f.Type != timeType:
				walk(f.Type, at)
			}
		}
	}
	walk(t, nil)
	// Which packed fields are the metadata's: compare addresses in a zero
	// object.
	v := reflect.New(t)
	m := v.Interface().(meta.Object).GetMeta()
	for i, path := range p.fields {
		switch v.Elem().FieldByIndex(path).Addr().UnsafePointer() {
		case unsafe.Pointer(&m.Labels):
			p.labels = i
		case unsafe.Pointer(&m.Annotations):
			p.annotations = i
		}
	}
	packings.Store(t, p)
	return p
}

var packings sync.Map // reflect.Type → *packing

// pack moves the packed fields of v (a stored object's struct, held by
// nothing else) into packed maps, leaving them nil.
func pack(v reflect.Value) []packedMap {
	p := packingOf(v.Type())
	var out []packedMap
	for i, path := range p.fields {
		f := v.FieldByIndex(path)
		if f.IsNil() {
			continue
		}
		pm := packedMap{field: i}
		if f.Type() == stringMapType {
			pm.kv = packStrings(f.Interface().(map[string]string))
		} else {
			pm.kv, pm.blobs = packBlobs(f.Interface().(map[string][]byte))
		}
		if out == nil {
			out = make([]packedMap, 0, len(p.fields)-i)
		}
		out = append(out, pm)
		f.SetZero()
	}
	return slices.Clip(out)
}

func packStrings(m map[string]string) []string {
	kv := make([]string, 0, 2*len(m))
	for _, k := range sortedKeys(m) {
		kv = append(kv, k, m[k])
	}
	return kv
}

func packBlobs(m map[string][]byte) ([]string, [][]byte) {
	keys := sortedKeys(m)
	blobs := make([][]byte, len(keys))
	for i, k := range keys {
		blobs[i] = m[k]
	}
	return keys, blobs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// unpack sets v's packed fields to fresh maps of pm. The byte slices are
// the entry's own when shared is true (for an object that stays private
// to the store and is only read), else copies.
func unpack(v reflect.Value, pm []packedMap, shared bool) {
	p := packingOf(v.Type())
	for i := range pm {
		v.FieldByIndex(p.fields[pm[i].field]).Set(reflect.ValueOf(pm[i].build(shared)))
	}
}

// build returns the map pm packs: a map[string]string or a map[string][]byte.
func (pm *packedMap) build(shared bool) any {
	if pm.blobs == nil {
		m := make(map[string]string, len(pm.kv)/2)
		for i := 0; i < len(pm.kv); i += 2 {
			m[pm.kv[i]] = pm.kv[i+1]
		}
		return m
	}
	m := make(map[string][]byte, len(pm.kv))
	for i, k := range pm.kv {
		b := pm.blobs[i]
		if !shared && b != nil {
			b = slices.Clone(b)
		}
		m[k] = b
	}
	return m
}

// stringMapOf returns the packed map[string]string at index field of the
// packing, or nil.
func stringMapOf(pm []packedMap, field int) map[string]string {
	if field < 0 {
		return nil
	}
	for i := range pm {
		if pm[i].field == field {
			return pm[i].build(true).(map[string]string)
		}
	}
	return nil
}

// eachPair yields the key and value pairs of the packed map[string]string
// at index field, without building it.
func eachPair(pm []packedMap, field int, yield func(k, v string)) {
	if field < 0 {
		return
	}
	for i := range pm {
		if pm[i].field == field {
			for j := 0; j < len(pm[i].kv); j += 2 {
				yield(pm[i].kv[j], pm[i].kv[j+1])
			}
		}
	}
}
