package memory

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type unexportedEmbedded struct{ A string }

// jsonFieldsOf declines what a field by field copy does not reproduce, and
// tells the normaliser, the slab codec and the direct encoder which
// fields JSON leaves out.
func TestJSONFieldsOf(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[struct {
			N int `json:"n,string"`
		}](),
		reflect.TypeFor[struct{ *Embedded }](),
		reflect.TypeFor[struct{ unexportedEmbedded }](),
		reflect.TypeFor[struct {
			Embedded
			List []string `json:"list"` // JSON keeps this one, by depth
		}](),
	} {
		_, ok := jsonFieldsOf(typ)
		assert.False(t, ok, "%v is declined", typ)
	}

	fields, ok := jsonFieldsOf(reflect.TypeFor[struct {
		Embedded
		Dropped string            `json:"-"`
		hidden  int               //nolint:unused // left out
		Items   []string          `json:"items,omitempty"`
		Count   int               `json:"count,omitempty"`
		When    time.Time         `json:"when,omitzero"`
		Labels  map[string]string `json:"labels"`
	}]())
	require.True(t, ok)
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	require.Equal(t, []string{"Embedded", "Dropped", "Items", "Count", "When", "Labels"}, names, "exported fields in order")
	assert.True(t, fields[0].promoted)
	assert.True(t, fields[1].dropped)
	assert.True(t, fields[2].omitEmpty, "an omitempty slice")
	assert.False(t, fields[3].omitEmpty, "omitempty leaves a number as it is")
	require.NotNil(t, fields[4].omitZero)
	assert.True(t, fields[4].omitZero(reflect.ValueOf(time.Time{})))
	assert.False(t, fields[5].omitEmpty || fields[5].dropped || fields[5].omitZero != nil)
}
