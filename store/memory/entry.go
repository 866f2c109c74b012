package memory

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// entry is one stored object. It is never modified after creation, so readers
// may use it after releasing the lock; a write replaces the whole entry.
//
// The object is kept decoded, once: obj is what its JSON encoding decodes to,
// held privately, so a Get is a deep copy instead of a parse, and the
// encoding itself is not kept (List encodes again). It is made before a
// write takes the store's lock (decodeAhead). Only for a type deepCopy
// cannot copy completely (an interface, an unexported pointer) is the
// encoding kept instead, as a *jsonObject, and every Get decodes it.
//
// An entry holds nothing else (its metadata and resource version are
// obj's) but obj's packed maps (packed.go), which obj holds nil: with ~7
// objects per certificate (3 and the Events), every word counts at 100k
// certificates.
type entry struct {
	ref    meta.Ref
	obj    meta.Object
	packed []packedMap
}

// metadata is the object's metadata: obj's own (not a copy, which would
// cost each object another 150 bytes); immutable, as obj is. Its labels
// and annotations may be packed: read them with eachLabel or fullMetadata.
func (e *entry) metadata() *meta.ObjectMeta { return e.obj.GetMeta() }

func (e *entry) resourceVersion() string { return e.obj.GetMeta().ResourceVersion }

// fullMetadata returns the object's metadata with its labels and
// annotations as maps of their own.
func (e *entry) fullMetadata() meta.ObjectMeta {
	return e.metaMaps().with(e.metadata())
}

// metaMaps are the metadata's packed labels and annotations, built.
type metaMaps struct{ labels, annotations map[string]string }

// metaMaps builds the metadata's packed maps (none if not packed).
func (e *entry) metaMaps() metaMaps {
	if len(e.packed) == 0 {
		return metaMaps{}
	}
	p := packingOf(reflect.TypeOf(e.obj).Elem())
	return metaMaps{labels: stringMapOf(e.packed, p.labels), annotations: stringMapOf(e.packed, p.annotations)}
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

// eachLabel calls yield with each of the object's labels.
func (e *entry) eachLabel(yield func(k, v string)) {
	for k, v := range e.metadata().Labels {
		yield(k, v)
	}
	if len(e.packed) > 0 {
		eachPair(e.packed, packingOf(reflect.TypeOf(e.obj).Elem()).labels, yield)
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

// decodeAhead returns obj as Get will return it: what its JSON encoding
// decodes to, made by a normaliser (a typed deep copy that changes what
// JSON changes) or, for what a normaliser does not reproduce, by encoding
// and decoding, which also gives a value JSON cannot encode its typed
// error. It runs before the write takes the store's lock, so the metadata
// the store sets is not in it yet (newEntry adds it). prev, if not nil, is
// the version stored now, whose content it reuses where equal. It returns
// nil, and no error, for a type deepCopy cannot copy completely: newEntry
// keeps its encoding instead.
func decodeAhead(ref meta.Ref, obj, prev meta.Object) (meta.Object, error) {
	t := reflect.TypeOf(obj)
	if t.Kind() == reflect.Pointer && copyable(t.Elem()) && !reflect.ValueOf(obj).IsNil() {
		if n := normaliserOf(t.Elem()); n != nil {
			var p reflect.Value
			if prev != nil && reflect.TypeOf(prev) == t {
				p = reflect.ValueOf(prev).Elem()
			}
			out := reflect.New(t.Elem())
			if n(out.Elem(), reflect.ValueOf(obj).Elem(), p) {
				return out.Interface().(meta.Object), nil
			}
		}
	}
	return decodeThroughJSON(ref, obj)
}

// kept is what a write keeps of an object, made before it takes the lock:
// the decoded object with its maps packed, or (obj nil) nothing yet, for
// newEntry to keep the encoding; and the metadata maps its watch event
// carries, built outside the lock too.
type kept struct {
	obj    meta.Object
	packed []packedMap
	event  metaMaps
}

// keepAhead is decodeAhead, then packs the maps of what it decoded.
func keepAhead(ref meta.Ref, obj, prev meta.Object) (kept, error) {
	decoded, err := decodeAhead(ref, obj, prev)
	if err != nil || decoded == nil {
		return kept{}, err
	}
	k := kept{obj: decoded, packed: pack(reflect.ValueOf(decoded).Elem())}
	k.event = (&entry{obj: k.obj, packed: k.packed}).metaMaps()
	return k, nil
}

// decodeThroughJSON is decodeAhead by encoding obj, which checks that it
// can be, and decoding it again.
func decodeThroughJSON(ref meta.Ref, obj meta.Object) (meta.Object, error) {
	data, err := objects.Encode(ref, obj)
	if err != nil {
		return nil, err
	}
	t := reflect.TypeOf(obj)
	if t.Kind() != reflect.Pointer || !copyable(t.Elem()) {
		return nil, nil
	}
	decoded := reflect.New(t.Elem()).Interface().(meta.Object)
	if objects.Decode(data, decoded) != nil {
		return nil, nil // its encoding does not decode: kept as it is
	}
	share(reflect.ValueOf(decoded).Elem())
	return decoded, nil
}

// newEntry makes the entry of obj, whose metadata the store has just set,
// from k, what keepAhead made of it. The store sets exactly the
// fields objects.Save remembers; they are copied from obj into decoded
// (as JSON would carry them: strings, a number and a UTC time). Without
// a decoded object, obj is encoded and the encoding kept.
func newEntry(ref meta.Ref, obj meta.Object, k kept) (*entry, error) {
	m := obj.GetMeta()
	if k.obj != nil {
		dm := k.obj.GetMeta()
		objects.Save(m).Restore(dm)
		dm.CreationTime = cloneTime(dm.CreationTime) // not the caller's
		return &entry{ref: ref, obj: k.obj, packed: k.packed}, nil
	}
	data, err := objects.Encode(ref, obj)
	if err != nil {
		return nil, err
	}
	return &entry{ref: ref, obj: &jsonObject{kind: ref.Kind, meta: objects.CloneMeta(m), data: data}}, nil
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// decodeInto fills into with the object: a deep copy when into has the
// stored type, else a decoding of its encoding (into is zeroed first either
// way). Errors wrap store.ErrCorrupt.
func (e *entry) decodeInto(into meta.Object) error {
	if v := reflect.ValueOf(into); v.Type() == reflect.TypeOf(e.obj) && !v.IsNil() {
		deepCopy(v.Elem(), reflect.ValueOf(e.obj).Elem())
		unpack(v.Elem(), e.packed, false)
		return nil
	}
	data, err := e.encoded()
	if err != nil {
		return fmt.Errorf("%w: encode: %v", store.ErrCorrupt, err)
	}
	return objects.Decode(data, into)
}

// encoded returns the object's JSON encoding, shared with the entry when it
// keeps one (callers copy it before handing it out). What was decoded from
// JSON encodes again, so an error here is a type whose encoding does not
// survive its own decoding.
func (e *entry) encoded() ([]byte, error) {
	if o, ok := e.obj.(*jsonObject); ok {
		return o.data, nil
	}
	if len(e.packed) == 0 {
		return json.Marshal(e.obj)
	}
	// A shallow copy carries the rebuilt maps: packed fields are reached
	// through struct fields only.
	full := reflect.New(reflect.TypeOf(e.obj).Elem())
	full.Elem().Set(reflect.ValueOf(e.obj).Elem())
	unpack(full.Elem(), e.packed, true)
	return json.Marshal(full.Interface())
}
