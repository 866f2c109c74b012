package memory

import (
	"encoding/binary"
	"reflect"
	"slices"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/certflow/certflow/meta"
)

// An object's metadata leads its slab, by hand rather than through a
// reflected codec, because the store reads it on every write (its
// resource version, labels and owners) without decoding the object:
//
//	block count           varint (slab.go)
//	UID                   string
//	ResourceVersion       string
//	Generation            zig-zag varint
//	CreationTime          pointer to time
//	named                 byte: 1 when Namespace and Name are the ref's
//	Namespace, Name       strings, only when named is 0
//	Labels, Annotations   maps
//	OwnerRefs             slice of three strings each
//	DeletionTime          pointer to time
//
// The first four are what the store sets on a write (objects.Save): the
// part after them is made before the write takes the lock, they are
// written under it.

// metaFields are ObjectMeta's fields as this file knows them: a field it
// does not know would be lost, so then no kind is kept in slabs.
var metaFields = []string{"Namespace", "Name", "UID", "ResourceVersion", "Generation",
	"Labels", "Annotations", "OwnerRefs", "CreationTime", "DeletionTime"}

func metaCodecFits() bool {
	t := reflect.TypeFor[meta.ObjectMeta]()
	if t.NumField() != len(metaFields) {
		return false
	}
	for i, name := range metaFields {
		if t.Field(i).Name != name {
			return false
		}
	}
	return true
}

// metaFieldOf returns the index path of the field of t GetMeta returns
// (a field of t or of the structs it embeds), or nil when GetMeta returns
// something else.
func metaFieldOf(t reflect.Type) []int {
	v := reflect.New(t)
	obj, ok := v.Interface().(meta.Object)
	if !ok {
		return nil
	}
	m := unsafe.Pointer(obj.GetMeta())
	var find func(st reflect.Type, sv reflect.Value, path []int) []int
	find = func(st reflect.Type, sv reflect.Value, path []int) []int {
		for i := 0; i < st.NumField(); i++ {
			f := st.Field(i)
			if !f.IsExported() || f.Type.Kind() != reflect.Struct {
				continue
			}
			at := append(slices.Clip(path), i)
			if f.Type == reflect.TypeFor[meta.ObjectMeta]() {
				if sv.Field(i).Addr().UnsafePointer() == m {
					return at
				}
				continue
			}
			if f.Anonymous {
				if p := find(f.Type, sv.Field(i), at); p != nil {
					return p
				}
			}
		}
		return nil
	}
	return find(t, v.Elem(), nil)
}

// writeMetaRest writes the metadata after the store's fields.
func writeMetaRest(w *slabWriter, ref meta.Ref, m *meta.ObjectMeta) {
	if m.Namespace == ref.Namespace && m.Name == ref.Name {
		w.byte1(1)
	} else {
		w.byte1(0)
		w.string(m.Namespace, sharedStringLen)
		w.string(m.Name, sharedStringLen)
	}
	writeStringMap(w, m.Labels)
	writeStringMap(w, m.Annotations)
	if m.OwnerRefs == nil {
		w.uvarint(0)
	} else {
		w.uvarint(uint64(len(m.OwnerRefs)) + 1)
		for _, o := range m.OwnerRefs {
			w.string(string(o.Kind), sharedStringLen)
			w.string(o.Namespace, sharedStringLen)
			w.string(o.Name, sharedStringLen)
		}
	}
	writeTimePointer(w, m.DeletionTime)
}

// smallMap is how many keys a map written sorts without allocating: the
// labels, annotations and Secret data certflow writes have a few.
const smallMap = 8

func writeStringMap(w *slabWriter, m map[string]string) {
	var few [smallMap]string
	keys, _ := writeMapHeader(w, m, &few, false)
	for _, k := range keys {
		w.string(k, sharedKeyLen)
		w.string(m[k], sharedStringLen)
	}
}

// writeMapHeader writes m's length (0 for nil) and returns its keys sorted,
// held in few while they fit so the write path does not allocate. With
// checkUTF8 a key that is not valid UTF-8 stops it: ok is false, nothing is
// written and no keys come back, as JSON would mangle such a key.
func writeMapHeader[V any](w *slabWriter, m map[string]V, few *[smallMap]string, checkUTF8 bool) (keys []string, ok bool) {
	if m == nil {
		w.uvarint(0)
		return nil, true
	}
	keys = few[:0]
	for k := range m {
		if checkUTF8 && !utf8.ValidString(k) {
			return nil, false
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.uvarint(uint64(len(keys)) + 1)
	return keys, true
}

func writeTimePointer(w *slabWriter, t *time.Time) {
	if t == nil {
		w.byte1(0)
		return
	}
	w.byte1(1)
	writeTime(w, *t)
}

// storeFields are the metadata fields the store sets on a write.
type storeFields struct {
	uid, resourceVersion string
	generation           int64
	creation             *time.Time
}

func storeFieldsOf(m *meta.ObjectMeta) storeFields {
	return storeFields{m.UID, m.ResourceVersion, m.Generation, m.CreationTime}
}

// sealSlab returns the slab of an object whose metadata after the store's
// fields and other fields are ahead (made by writeAhead), with the store's
// fields f, its content after the object's name (as an entry keeps it:
// entry.named) in one allocation, and its handles in the writer's
// buffer, which the caller copies before the writer is used again.
func sealSlab(name string, ahead *slabWriter, f storeFields) (named string, strs []strHandle) {
	w := slabWriter{buf: ahead.fields[:0], strs: ahead.strs}
	w.string(f.uid, sharedStringLen)
	w.string(f.resourceVersion, sharedStringLen)
	w.varint(f.generation)
	writeTimePointer(&w, f.creation)
	var head [2 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(head[:], uint64(ahead.block+w.block))
	n += binary.PutUvarint(head[n:], uint64(len(w.strs)))
	data := make([]byte, 0, binary.MaxVarintLen64+len(name)+n+len(w.buf)+len(ahead.buf))
	data = appendName(data, name)
	data = append(append(append(data, head[:n]...), w.buf...), ahead.buf...)
	ahead.fields = w.buf[:0] // for the pooled writer's next write
	return unsafe.String(unsafe.SliceData(data), len(data)), w.strs
}

// shared returns the slab's shared strings.
func (s slab) shared() []strHandle {
	r, _ := s.reader(meta.Ref{}, false)
	return r.strs
}

// reader returns a reader of the slab's content after its block count
// and handle count, and the block count; ref is the object's.
func (s slab) reader(ref meta.Ref, copyOut bool) (slabReader, int) {
	r := slabReader{ref: ref, data: unsafe.Slice(unsafe.StringData(s.data), len(s.data)), copy: copyOut}
	block := int(r.uvarint())
	if n := r.uvarint(); n > 0 {
		r.strs = unsafe.Slice(s.strs, n)
	}
	return r, block
}

// readStoreFields reads the store's fields; r is after the block count.
func readStoreFields(r *slabReader) storeFields {
	var f storeFields
	f.uid = r.string()
	f.resourceVersion = r.string()
	f.generation = r.varint()
	f.creation = readTimePointer(r)
	return f
}

// readStoreFieldsView is readStoreFields into v, without allocating.
func readStoreFieldsView(r *slabReader, v *storedView) {
	start := r.off
	if h := r.uvarint(); h&3 == tagUUID {
		v.uuid, v.isUUID = [16]byte(r.raw(16)), true
	} else {
		r.off = start
		v.uid = r.string()
	}
	v.resourceVersion = r.string()
	v.generation = r.varint()
	if r.byte1() != 0 {
		v.creation, v.hasCreation = readTime(r), true
	}
}

// readMeta reads the whole metadata into m; r is after the block count.
func readMeta(r *slabReader, ref meta.Ref, m *meta.ObjectMeta) {
	f := readStoreFields(r)
	m.UID, m.ResourceVersion, m.Generation, m.CreationTime = f.uid, f.resourceVersion, f.generation, f.creation
	if r.byte1() == 1 {
		m.Namespace, m.Name = ref.Namespace, ref.Name
	} else {
		m.Namespace, m.Name = r.string(), r.string()
	}
	m.Labels = readStringMap(r)
	m.Annotations = readStringMap(r)
	if h := r.uvarint(); h > 0 {
		m.OwnerRefs = make([]meta.Ref, h-1)
		for i := range m.OwnerRefs {
			o := &m.OwnerRefs[i]
			o.Kind = meta.Kind(r.string())
			o.Namespace = r.string()
			o.Name = r.string()
		}
	}
	m.DeletionTime = readTimePointer(r)
}

func readStringMap(r *slabReader) map[string]string {
	h := r.uvarint()
	if h == 0 {
		return nil
	}
	m := make(map[string]string, h-1)
	for range h - 1 {
		k := r.string()
		m[k] = r.string()
	}
	return m
}

func readTimePointer(r *slabReader) *time.Time {
	if r.byte1() == 0 {
		return nil
	}
	t := readTime(r)
	return &t
}

// walkMeta calls labels with each label and owners with each owner,
// reading past the rest of the metadata without building it (the store's
// indexes, on every write); r is after the block count. The strings point
// into the slab.
func walkMeta(r *slabReader, labels func(k, v string), owners func(meta.Ref)) {
	skipToLabels(r)
	if h := r.uvarint(); h > 0 {
		for range h - 1 {
			k := r.string()
			v := r.string()
			if labels != nil {
				labels(k, v)
			}
		}
	}
	if h := r.uvarint(); h > 0 {
		for range h - 1 {
			r.skipString()
			r.skipString()
		}
	}
	if h := r.uvarint(); h > 0 && owners != nil {
		for range h - 1 {
			kind := r.string()
			ns := r.string()
			owners(meta.Ref{Kind: meta.Kind(kind), Namespace: ns, Name: r.string()})
		}
	}
}

// skipToLabels reads past the metadata before the labels; r is after the
// block count.
func skipToLabels(r *slabReader) {
	r.skipString()
	r.skipString()
	r.varint()
	if r.byte1() == 1 {
		r.skipTime()
	}
	if r.byte1() == 0 {
		r.skipString()
		r.skipString()
	}
}

func (r *slabReader) skipString() {
	switch h := r.uvarint(); h & 3 {
	case tagInline:
		r.off += int(h >> 2)
	case tagUUID:
		r.off += 16
	}
}

func (r *slabReader) skipTime() {
	switch r.byte1() {
	case 0:
		r.varint()
		r.uvarint()
	case 1:
		r.off += int(r.uvarint())
	}
}
