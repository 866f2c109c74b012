package memory

import (
	"reflect"
	"time"
	"unique"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/internal/objects"
)

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
		n := normaliserOf(t.Elem())
		if objectCodecOf(t.Elem()) != nil {
			n = plainNormaliserOf(t.Elem()) // copied into a slab at once
		}
		if n != nil {
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
// its slab but for the store's fields (ahead, with the codec of its kind);
// or else the decoded object (whose metadata the watch event carries) with
// its maps packed; or (both nil) nothing yet, for newEntry to keep the
// encoding.
type kept struct {
	obj    meta.Object
	codec  *objectCodec
	ahead  *slabWriter
	packed []packedMap
}

// keepAhead writes obj into a slab directly (slab_direct.go), or else is
// decodeAhead, then writes what it decoded into a slab, or packs its maps.
// prev, if not nil, is the entry stored now, whose content it reuses where
// equal.
func keepAhead(ref meta.Ref, obj meta.Object, prev *entry, rep *repeats) (kept, error) {
	var prevObj meta.Object
	var prevStrs []strHandle
	if prev != nil && prev.codec() == nil && prev.decoded() != nil {
		prevObj = prev.decoded().obj
	}
	if prev != nil && prev.codec() != nil {
		sl := prev.slab()
		prevStrs = sl.shared()
	}
	if t := reflect.TypeOf(obj); t.Kind() == reflect.Pointer && !reflect.ValueOf(obj).IsNil() {
		if c := objectCodecOf(t.Elem()); c != nil {
			if w := c.writeDirect(ref, obj, rep, prevStrs); w != nil {
				return kept{codec: c, ahead: w}, nil
			}
		}
	}
	decoded, err := decodeAhead(ref, obj, prevObj)
	if err != nil || decoded == nil {
		return kept{}, err
	}
	if c := objectCodecOf(reflect.TypeOf(decoded).Elem()); c != nil {
		return kept{obj: decoded, codec: c, ahead: c.writeAhead(ref, decoded, rep, prevStrs)}, nil
	}
	return kept{obj: decoded, packed: pack(reflect.ValueOf(decoded).Elem())}, nil
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

// newEntry makes the entry of obj named ref (whose strings it copies: a
// caller's ref may point into what a Get returned, all of whose strings
// share one allocation), whose metadata the store has just set,
// from k, what keepAhead made of it; scope, if not zero, is a scope
// it is likely to have (the replaced entry's). The store sets exactly the fields objects.Save
// remembers; they are copied from obj into what was decoded (as JSON
// would carry them: strings, a number and a UTC time). Without a decoded
// object, obj is encoded and the encoding kept.
func newEntry(ref meta.Ref, obj meta.Object, k kept, scope unique.Handle[entryScope]) (*entry, error) {
	m := obj.GetMeta()
	if k.codec != nil {
		// The slab copies the store's fields: it may read them from obj.
		named, strs := sealSlab(ref.Name, k.ahead, storeFieldsOf(m))
		// The replaced version's scope, or the last Create's of the
		// kind, is most often this one's: no lookup in the process's
		// unique map (hashing the scope, under its lock).
		want := entryScope{ref.Kind, ref.Namespace, k.codec}
		if scope == (unique.Handle[entryScope]{}) || scope.Value() != want {
			scope = unique.Make(want)
		}
		return slabEntry(scope, named, strs), nil
	}
	if k.obj != nil {
		dm := k.obj.GetMeta()
		objects.Save(m).Restore(dm)
		dm.CreationTime = cloneTime(dm.CreationTime) // not the caller's
		e := decodedEntry(ref, &decodedObject{obj: k.obj, packed: k.packed})
		return &e, nil
	}
	data, err := objects.Encode(ref, obj)
	if err != nil {
		return nil, err
	}
	j := &jsonObject{kind: ref.Kind, meta: meta.CloneMeta(m), data: data}
	e := decodedEntry(ref, &decodedObject{obj: j})
	return &e, nil
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
