package memory

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
)

// entry is one stored object. It is never modified after creation, so readers
// may use it after releasing the lock; a write replaces the whole entry.
//
// The object is kept decoded, once: obj is what its JSON encoding decodes to,
// held privately, so a Get is a deep copy instead of a parse, and the
// encoding itself is not kept (List encodes again). Only for a type deepCopy
// cannot copy completely (an interface, an unexported pointer) is the
// encoding kept instead, in data, and every Get decodes it.
type entry struct {
	ref meta.Ref
	rv  string
	// meta is the object's metadata; it shares its maps with obj, and both
	// are immutable.
	meta meta.ObjectMeta
	obj  meta.Object
	data []byte
}

// newEntry keeps obj (whose metadata is already prepared) as Get will
// return it: encoded, which checks that it can be, and decoded again, which
// gives exactly what a store keeping JSON would give back.
func newEntry(ref meta.Ref, obj meta.Object) (*entry, error) {
	data, err := objects.Encode(ref, obj)
	if err != nil {
		return nil, err
	}
	e := &entry{ref: ref, rv: obj.GetMeta().ResourceVersion}
	if t := reflect.TypeOf(obj); t.Kind() == reflect.Pointer && copyable(t.Elem()) {
		decoded := reflect.New(t.Elem()).Interface().(meta.Object)
		if objects.Decode(data, decoded) == nil {
			e.obj, e.meta = decoded, *decoded.GetMeta()
			return e, nil
		}
	}
	e.data, e.meta = data, objects.CloneMeta(obj.GetMeta())
	return e, nil
}

// decodeInto fills into with the object: a deep copy when into has the
// stored type, else a decoding of its encoding (into is zeroed first either
// way). Errors wrap store.ErrCorrupt.
func (e *entry) decodeInto(into meta.Object) error {
	if e.obj != nil {
		if v := reflect.ValueOf(into); v.Type() == reflect.TypeOf(e.obj) && !v.IsNil() {
			deepCopy(v.Elem(), reflect.ValueOf(e.obj).Elem())
			return nil
		}
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
	if e.obj == nil {
		return e.data, nil
	}
	return json.Marshal(e.obj)
}
