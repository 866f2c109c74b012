package memory

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// shout encodes upper-cased: a MarshalJSON that is not the identity.
type shout string

func (s shout) MarshalJSON() ([]byte, error) { return json.Marshal(strings.ToUpper(string(s))) }

// declined holds, one per field, what normalisation declines.
type declined struct {
	Metadata meta.ObjectMeta `json:"metadata"`
	*Embedded
	PP     **string `json:"pp"`
	Custom shout    `json:"custom"`
}

func (d *declined) GetKind() meta.Kind        { return "Declined" }
func (d *declined) GetMeta() *meta.ObjectMeta { return &d.Metadata }

func newDirectCodecs() *directCodecs {
	return &directCodecs{
		plain:    &slabCodecs{done: map[reflect.Type]*valueCodec{}, building: map[reflect.Type]*valueCodec{}},
		done:     map[reflect.Type]directEncoder{},
		building: map[reflect.Type]*directEncoder{},
	}
}

// The direct encoder declines every type normalisation declines (which
// then takes the JSON round trip), rather than writing it its own way:
// a **T whose inner pointer is nil would otherwise be written as a set
// pointer, where JSON gives back a nil outer one.
func TestDirectEncoderDeclinesWhatNormalisationDeclines(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[struct{ PP **string }](),
		reflect.TypeFor[struct{ Custom shout }](),
		reflect.TypeFor[struct{ *Embedded }](),
		reflect.TypeFor[map[string]shout](),
		reflect.TypeFor[**int](),
	} {
		require.Nil(t, plainNormaliserOf(typ), "%v: normalisation declines it", typ)
		require.Nil(t, newDirectCodecs().build(typ), "%v: so does the direct encoder", typ)
	}
	require.Nil(t, (&objectCodec{typ: reflect.TypeFor[declined](), meta: []int{0}}).direct(),
		"an object holding them has no direct encoder")
}

// Objects holding what the direct encoder declines are stored as their
// JSON round trip gives them back: a nil inner pointer makes a nil outer
// one, the custom encoding is applied, the embedded pointer is allocated
// only when one of its fields is present.
func TestDeclinedTypesStoreAsJSON(t *testing.T) {
	var nilInner *string
	set := "x"
	setInner := &set
	for _, obj := range []*declined{
		{},
		{PP: &nilInner},
		{PP: &setInner, Custom: "quiet"},
		{Embedded: &Embedded{}},
		{Embedded: &Embedded{Promoted: "p", List: []string{}}},
	} {
		checkStored(t, obj)
	}
}
