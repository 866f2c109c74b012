package order

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestAppendSpecJSONCoversEveryField: a spec with every field set, found by
// reflection, encodes as json.Marshal does. A field added to Spec (or to
// IssuerRef) that appendSpecJSON does not write fails here, not in
// production, where it would rename every Order that sets it and so order
// again from the CA (rate limits, duplicate orders).
func TestAppendSpecJSONCoversEveryField(t *testing.T) {
	var spec Spec
	fill(t, reflect.ValueOf(&spec).Elem(), "Spec")
	want, err := json.Marshal(spec)
	require.NoError(t, err)
	got, ok := appendSpecJSON(nil, &spec)
	require.True(t, ok, "every string filled is plain")
	assert.Equal(t, string(want), string(got))
}

// fill sets every field under v to a non-zero value, failing on a kind it
// does not know (a new kind of field needs a thought here, and in
// appendSpecJSON).
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	if v.Type() == reflect.TypeFor[meta.Duration]() {
		v.Set(reflect.ValueOf(meta.Duration{Duration: 1500 * time.Nanosecond})) // "1.5µs": not ASCII
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("f-" + path)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte("bytes of " + path))
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(t, v.Index(0), path+"[0]")
		fill(t, v.Index(1), path+"[1]")
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			require.True(t, f.IsExported(), "%s.%s", path, f.Name)
			fill(t, v.Field(i), path+"."+f.Name)
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	default:
		t.Fatalf("%s: a %s field; teach fill and appendSpecJSON about it", path, v.Kind())
	}
}
