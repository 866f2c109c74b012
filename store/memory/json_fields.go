package memory

import (
	"reflect"
	"strings"
)

// jsonField is one exported field of a struct as encoding/json treats it,
// as far as a normalised value must follow: the normaliser
// (normalise_struct.go), the slab codec (slab_codec.go) and the direct
// encoder (slab_direct.go) all take a struct's fields from jsonFieldsOf,
// so that they agree on which fields come back zero.
type jsonField struct {
	reflect.StructField
	index    int
	dropped  bool // tagged "-": JSON leaves it out, and it comes back zero
	promoted bool // an embedded struct with no name: JSON promotes its fields
	hasOpts  bool // its tag has options (after the name)
	// omitEmpty: an empty slice or map is left out, and comes back nil
	// (omitempty leaves every other kind's empty values as they are).
	omitEmpty bool
	// omitZero, if not nil, is how omitzero decides the field is zero: it
	// is left out, and comes back zero.
	omitZero func(reflect.Value) bool
}

// jsonFieldsOf returns t's exported fields in order, or false when JSON
// treats one in a way a field by field copy does not reproduce: names JSON
// resolves by depth (jsonNamesUnique), the ",string" option, an embedded
// pointer (allocated only when one of its fields is present), an
// unexported embedded struct (whose exported fields JSON promotes), or an
// omitzero that isZeroFunc does not reproduce. Unexported fields, which
// come back zero, are left out.
func jsonFieldsOf(t reflect.Type) ([]jsonField, bool) {
	if !jsonNamesUnique(t, map[string]bool{}) {
		return nil, false
	}
	var fields []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			if f.IsExported() {
				fields = append(fields, jsonField{StructField: f, index: i, dropped: true})
			}
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && !f.IsExported() {
			if ft := f.Type; ft.Kind() == reflect.Struct || ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
				return nil, false // JSON promotes its exported fields
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Pointer {
			return nil, false // JSON allocates it only when one of its fields is present
		}
		jf := jsonField{StructField: f, index: i, hasOpts: opts != "",
			promoted: f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct}
		if !jf.promoted { // promoted fields have no options
			for o := range strings.SplitSeq(opts, ",") {
				switch o {
				case "string":
					return nil, false
				case "omitempty":
					jf.omitEmpty = f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Map
				case "omitzero":
					if jf.omitZero = isZeroFunc(f.Type); jf.omitZero == nil {
						return nil, false
					}
				}
			}
		}
		fields = append(fields, jf)
	}
	return fields, true
}
