package memory

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unique"
	"unsafe"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// entry is one stored object. It is never modified after creation, so readers
// may use it after releasing the lock; a write replaces the whole entry.
//
// Every kind certflow stores is kept in a slab (slab.go): the object its
// JSON encoding decodes to, in a compact binary form made before a write
// takes the store's lock (keepAhead), so a Get decodes it without parsing
// JSON and the store holds its content instead of a tree of allocations.
// A kind a slab cannot keep is kept decoded (decoded), its maps packed
// (packed.go), and every Get deep-copies it; a type deepCopy cannot copy
// completely (an interface, an unexported pointer) is kept as its
// encoding, a *jsonObject, and every Get decodes it.
//
// Its reference is held as a handle of its kind, namespace and codec,
// which the objects of a Store share among a few, and its name, which
// heads the same allocation as its slab's content (named); p is the
// slab's first handle (up to four follow the entry in its allocation:
// entry_with.go), or the decoded object when the scope has no codec.
// An entry is 32 bytes, three pointers: ~8 a certificate, each scanned by
// the garbage collector at every cycle. With the name, codec and decoded
// object as fields of their own it was 64 bytes, six pointers, and the
// name an allocation of its own.
type entry struct {
	scope unique.Handle[entryScope]
	named string
	p     unsafe.Pointer
}

// entryScope is an entry's kind and namespace, and the codec of its slab
// (nil: a decodedObject holds the object).
type entryScope struct {
	kind      meta.Kind
	namespace string
	codec     *objectCodec
}

// appendName appends name as an entry's named starts: its length, then
// its bytes.
func appendName(b []byte, name string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(name))), name...)
}

// entryRef returns an entry holding ref and nothing else yet.
func entryRef(ref meta.Ref) entry {
	return decodedEntry(ref, nil)
}

// decodedEntry returns the entry of d, the object named ref.
func decodedEntry(ref meta.Ref, d *decodedObject) entry {
	b := appendName(make([]byte, 0, binary.MaxVarintLen64+len(ref.Name)), ref.Name)
	return entry{scope: unique.Make(entryScope{ref.Kind, ref.Namespace, nil}),
		named: unsafe.String(unsafe.SliceData(b), len(b)), p: unsafe.Pointer(d)}
}

// nameSpan returns where the name starts and ends in named.
func (e *entry) nameSpan() (start, end int) {
	if n := e.named[0]; n < 0x80 { // a name under 128 bytes: every name but the longest
		return 1, 1 + int(n)
	}
	n, k := binary.Uvarint(unsafe.Slice(unsafe.StringData(e.named), len(e.named)))
	return k, k + int(n)
}

// name returns the entry's name, which points into its slab: a caller
// keeping it would keep the slab (ref clones it).
func (e *entry) name() string {
	start, end := e.nameSpan()
	return e.named[start:end]
}

// codec returns the codec of the entry's slab, or nil when it keeps a
// decoded object.
func (e *entry) codec() *objectCodec { return e.scope.Value().codec }

// slab returns the entry's slab (if codec is not nil).
func (e *entry) slab() slab {
	_, end := e.nameSpan()
	return slab{data: e.named[end:], strs: (*strHandle)(e.p)}
}

// decoded returns the entry's decoded object. Call it only when codec is
// nil: otherwise p holds the slab's handles, and the conversion is invalid
// (checkptr, on with -race, fails it).
func (e *entry) decoded() *decodedObject { return (*decodedObject)(e.p) }

// viewRef returns the entry's reference, its name pointing into the
// entry, for a caller that keeps none of it.
func (e *entry) viewRef() meta.Ref {
	sc := e.scope.Value()
	return meta.Ref{Kind: sc.kind, Namespace: sc.namespace, Name: e.name()}
}

// ref returns the entry's reference with a name of its own, which a
// caller may keep (the kind and namespace are the store's, shared).
func (e *entry) ref() meta.Ref {
	r := e.viewRef()
	r.Name = strings.Clone(r.Name)
	return r
}

// is reports whether the entry's reference is r.
func (e *entry) is(r meta.Ref) bool {
	if e.name() != r.Name {
		return false
	}
	sc := e.scope.Value()
	return sc.namespace == r.Namespace && sc.kind == r.Kind
}

// decodedObject is an object kept decoded, its packed maps beside it (obj
// holds them nil).
type decodedObject struct {
	obj    meta.Object
	packed []packedMap
}

// view returns the object's metadata for a reader that keeps none of it:
// a slab's strings point into the slab, a decoded object's are its own.
func (e *entry) view() meta.ObjectMeta {
	if e.codec() != nil {
		ref := e.viewRef()
		r, _ := e.slab().reader(ref, false)
		var m meta.ObjectMeta
		readMeta(&r, ref, &m)
		return m
	}
	d := e.decoded()
	return d.metaMaps().with(d.obj.GetMeta())
}

// ownedMeta returns the object's metadata sharing nothing with the entry
// but its kind and namespace (the store's, shared), each string in an
// allocation of its own: watchers keep a label or a name for long, and
// that keeps no more than itself alive. ref is e.ref(), whose name the
// metadata shares (one copy for a watch event's Ref and Meta).
func (e *entry) ownedMeta(ref meta.Ref) meta.ObjectMeta {
	if e.codec() != nil {
		r, _ := e.slab().reader(ref, true)
		r.each = true
		var m meta.ObjectMeta
		readMeta(&r, ref, &m)
		return m
	}
	m := e.view()
	return meta.CloneMeta(&m)
}

// storeFields returns the fields the store sets, with strings of their own.
func (e *entry) storeFields() storeFields {
	if e.codec() != nil {
		r, _ := e.slab().reader(e.viewRef(), false)
		f := readStoreFields(&r)
		f.uid, f.resourceVersion = strings.Clone(f.uid), strings.Clone(f.resourceVersion)
		return f
	}
	f := storeFieldsOf(e.decoded().obj.GetMeta())
	f.creation = cloneTime(f.creation)
	return f
}

func (e *entry) resourceVersion() string { return e.storeFields().resourceVersion }

// storedView is the fields the store sets as an entry holds them, for a
// write to check and carry over under the lock without allocating: a UID
// kept as a UUID is its 16 bytes, other strings point into the entry.
type storedView struct {
	uuid            [16]byte
	isUUID          bool
	uid             string // when not isUUID
	resourceVersion string
	generation      int64
	creation        time.Time
	hasCreation     bool
}

// viewStoreFields fills v with the entry's store fields.
func (e *entry) viewStoreFields(v *storedView) {
	if e.codec() != nil {
		r, _ := e.slab().reader(e.viewRef(), false)
		readStoreFieldsView(&r, v)
		return
	}
	m := e.decoded().obj.GetMeta()
	v.uid, v.resourceVersion, v.generation = m.UID, m.ResourceVersion, m.Generation
	if m.CreationTime != nil {
		v.creation, v.hasCreation = *m.CreationTime, true
	}
}

// ownUID returns the stored UID as a string the caller may keep: have,
// the caller's, when equal (an object read from the store carries it),
// else a copy.
func (v *storedView) ownUID(have string) string {
	if !v.isUUID {
		if have == v.uid {
			return have
		}
		return strings.Clone(v.uid)
	}
	if len(have) == 36 && isUUID(have) {
		var b [16]byte
		if [16]byte(appendUUID(b[:0], have)) == v.uuid {
			return have
		}
	}
	out := make([]byte, 36)
	objects.PutUUID(out, v.uuid[:])
	return unsafe.String(unsafe.SliceData(out), 36)
}

// creationFor returns the stored creation time, as have when equal
// (objects.PrepareUpdate copies it either way), else a copy; nil for none.
func (v *storedView) creationFor(have *time.Time) *time.Time {
	if !v.hasCreation {
		return nil
	}
	if have != nil && *have == v.creation {
		return have
	}
	c := v.creation
	return &c
}

// eachOwner calls yield with each of the object's owners, whose strings
// point into the entry: a caller keeping one clones it.
func (e *entry) eachOwner(yield func(meta.Ref)) {
	if e.codec() != nil {
		r, _ := e.slab().reader(e.viewRef(), false)
		walkMeta(&r, nil, yield)
		return
	}
	for _, o := range e.decoded().obj.GetMeta().OwnerRefs {
		yield(o)
	}
}

// metaMaps are the metadata's packed labels and annotations, built.
type metaMaps struct{ labels, annotations map[string]string }

// metaMaps builds the metadata's packed maps (none if not packed).
func (d *decodedObject) metaMaps() metaMaps {
	if len(d.packed) == 0 {
		return metaMaps{}
	}
	p := packingOf(reflect.TypeOf(d.obj).Elem())
	return metaMaps{labels: stringMapOf(d.packed, p.labels), annotations: stringMapOf(d.packed, p.annotations)}
}

// with returns a copy of m holding mm's maps where m's are packed.
func (mm metaMaps) with(m *meta.ObjectMeta) meta.ObjectMeta {
	c := *m
	if mm.labels != nil {
		c.Labels = mm.labels
	}
	if mm.annotations != nil {
		c.Annotations = mm.annotations
	}
	return c
}

// eachLabel calls yield with each of the object's labels, which point into
// the entry: a caller keeping one clones it.
func (e *entry) eachLabel(yield func(k, v string)) {
	if e.codec() != nil {
		r, _ := e.slab().reader(e.viewRef(), false)
		walkMeta(&r, yield, nil)
		return
	}
	d := e.decoded()
	for k, v := range d.obj.GetMeta().Labels {
		yield(k, v)
	}
	if len(d.packed) > 0 {
		eachPair(d.packed, packingOf(reflect.TypeOf(d.obj).Elem()).labels, yield)
	}
}

// jsonObject is an object kept as its JSON encoding, beside its metadata.
type jsonObject struct {
	kind meta.Kind
	meta meta.ObjectMeta
	data []byte
}

func (o *jsonObject) GetKind() meta.Kind        { return o.kind }
func (o *jsonObject) GetMeta() *meta.ObjectMeta { return &o.meta }

// decodeInto fills into with the object: a decoding of its slab, or a deep
// copy, when into has the stored type, else a decoding of its encoding
// (into is zeroed first either way). Errors wrap store.ErrCorrupt.
func (e *entry) decodeInto(into meta.Object) error {
	v := reflect.ValueOf(into)
	c := e.codec()
	if c != nil && v.Type().Elem() == c.typ && !v.IsNil() {
		c.decode(e, v.Elem(), into.GetMeta())
		return nil
	}
	if c == nil { // only then is p a decoded object (converting it otherwise breaks unsafe's rules)
		if d := e.decoded(); d != nil && v.Type() == reflect.TypeOf(d.obj) && !v.IsNil() {
			deepCopy(v.Elem(), reflect.ValueOf(d.obj).Elem())
			unpack(v.Elem(), d.packed, false)
			return nil
		}
	}
	data, err := e.encoded()
	if err != nil {
		return fmt.Errorf("%w: encode: %v", store.ErrCorrupt, err)
	}
	return objects.Decode(data, into)
}

// isJSON reports whether the entry keeps its object's encoding, which
// encoded returns without copying.
func (e *entry) isJSON() bool {
	if e.codec() != nil || e.decoded() == nil {
		return false
	}
	_, ok := e.decoded().obj.(*jsonObject)
	return ok
}

// encoded returns the object's JSON encoding, shared with the entry when it
// keeps one (callers copy it before handing it out). What was decoded from
// JSON encodes again, so an error here is a type whose encoding does not
// survive its own decoding.
func (e *entry) encoded() ([]byte, error) {
	if c := e.codec(); c != nil {
		v := reflect.New(c.typ)
		obj := v.Interface().(meta.Object)
		c.decode(e, v.Elem(), obj.GetMeta())
		return json.Marshal(obj)
	}
	d := e.decoded()
	if o, ok := d.obj.(*jsonObject); ok {
		return o.data, nil
	}
	if len(d.packed) == 0 {
		return json.Marshal(d.obj)
	}
	// A shallow copy carries the rebuilt maps: packed fields are reached
	// through struct fields only.
	full := reflect.New(reflect.TypeOf(d.obj).Elem())
	full.Elem().Set(reflect.ValueOf(d.obj).Elem())
	unpack(full.Elem(), d.packed, true)
	return json.Marshal(full.Interface())
}

// writeAhead writes obj (normalised, of c's type) into a slab but for the
// store's fields. prev holds the shared strings of the version stored now
// (nil for none), whose handles it takes for equal strings. The writer is
// a pooled one: sealSlab copies what it wrote, and the write returns it
// (kept.release) whether it succeeded or not.
func (c *objectCodec) writeAhead(ref meta.Ref, obj meta.Object, rep *repeats, prev []strHandle) *slabWriter {
	w := writers.Get().(*slabWriter)
	w.repeats, w.ref, w.prev = rep, ref, prev
	writeMetaRest(w, ref, obj.GetMeta())
	c.rest.enc(w, reflect.ValueOf(obj).Elem())
	return w
}

// decode sets v (an object of c's type, whose metadata is m) to e's
// object, sharing nothing with the entry but its kind and namespace: one
// allocation holds every string and byte slice it copies, and another
// its name (a caller keeping the name, as the Manager's indexes do,
// keeps no more than it).
func (c *objectCodec) decode(e *entry, v reflect.Value, m *meta.ObjectMeta) {
	v.SetZero()
	// A reader passed to the codec's functions escapes: one from a pool
	// spares a Get an allocation.
	r := readers.Get().(*slabReader)
	var block int
	ref := e.ref()
	*r, block = e.slab().reader(ref, true)
	if block > 0 {
		r.block = make([]byte, block)
	}
	readMeta(r, ref, m)
	c.rest.dec(r, v)
	*r = slabReader{}
	readers.Put(r)
}

var readers = sync.Pool{New: func() any { return new(slabReader) }}
