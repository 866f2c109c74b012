package memory

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

type leafKindName string

// leaves holds a field of every leaf kind and a pointer to each, so both
// ways of writing a struct meet all of them.
type leaves struct {
	S    string
	N    leafKindName
	B    bool
	I    int
	I8   int8
	I16  int16
	I32  int32
	I64  int64
	U    uint
	U8   uint8
	U16  uint16
	U32  uint32
	U64  uint64
	UP   uintptr
	T    time.Time
	PS   *string
	PB   *bool
	PI   *int
	PI32 *int32
	PU16 *uint16
	PT   *time.Time
	PNil *time.Time
	More []string
}

func sampleLeaves() leaves {
	s, b, i, i32, u16 := "pointed", true, -7, int32(-1<<31), uint16(65535)
	at := time.Date(2026, 12, 2, 7, 0, 0, 123456789, time.UTC)
	return leaves{S: "a string", N: "named", B: true, I: -1 << 62, I8: -128, I16: -32768, I32: 1<<31 - 1, I64: -1 << 63,
		U: 1<<64 - 1, U8: 255, U16: 65535, U32: 1<<32 - 1, U64: 1<<64 - 1, UP: 1<<64 - 1, T: at,
		PS: &s, PB: &b, PI: &i, PI32: &i32, PU16: &u16, PT: &at, More: []string{"x"}}
}

// A struct's fields are written at their offsets when it is addressable
// and through reflection when it is not (a map's value): both must write
// the same bytes, and reading them (always at the offsets) must give the
// value back, for every leaf kind and pointers to them.
func TestLeaves_AtOffsetsAsThroughReflection(t *testing.T) {
	typ := reflect.TypeFor[leaves]()
	b := slabCodecs{done: map[reflect.Type]*valueCodec{}, building: map[reflect.Type]*valueCodec{}}
	c := b.build(typ)
	require.NotNil(t, c)
	d := directCodecs{plain: &slabCodecs{done: map[reflect.Type]*valueCodec{}, building: map[reflect.Type]*valueCodec{}},
		done: map[reflect.Type]directEncoder{}, building: map[reflect.Type]*directEncoder{}}
	de := d.build(typ)
	require.NotNil(t, de)

	v := sampleLeaves()
	addressable := reflect.ValueOf(&v).Elem()
	unaddressable := reflect.ValueOf(v)
	require.False(t, unaddressable.CanAddr())

	var viaOffsets, viaReflection, directOffsets, directReflection slabWriter
	c.enc(&viaOffsets, addressable)
	c.enc(&viaReflection, unaddressable)
	require.True(t, de(&directOffsets, addressable))
	require.True(t, de(&directReflection, unaddressable))
	require.Equal(t, viaReflection.buf, viaOffsets.buf)
	require.Equal(t, viaReflection.buf, directOffsets.buf, "a normalised value is written as it is")
	require.Equal(t, viaReflection.buf, directReflection.buf)

	var back leaves
	r := &slabReader{data: viaOffsets.buf, copy: true}
	c.dec(r, reflect.ValueOf(&back).Elem())
	require.Equal(t, len(viaOffsets.buf), r.off, "read to the end")
	require.Equal(t, v, back)
	require.NotSame(t, v.PS, back.PS, "pointers are the reader's own")
	require.NotSame(t, v.PT, back.PT)
}

// The direct encoder applies normalisation at the offsets too: invalid
// UTF-8 replaced, a time in JSON's form, one JSON cannot carry declined.
func TestLeaves_DirectNormalises(t *testing.T) {
	typ := reflect.TypeFor[leaves]()
	d := directCodecs{plain: &slabCodecs{done: map[reflect.Type]*valueCodec{}, building: map[reflect.Type]*valueCodec{}},
		done: map[reflect.Type]directEncoder{}, building: map[reflect.Type]*directEncoder{}}
	de := d.build(typ)
	c := d.plain.build(typ)

	v := sampleLeaves()
	v.S = "bad \xff"
	local := time.Date(2026, 12, 2, 8, 0, 0, 5, time.FixedZone("", 0)) // offset 0: comes back UTC
	v.PT = &local
	want := v
	want.S = "bad \uFFFD"
	utc := local.UTC()
	want.PT = &utc

	var direct, plain slabWriter
	require.True(t, de(&direct, reflect.ValueOf(&v).Elem()))
	c.enc(&plain, reflect.ValueOf(&want).Elem())
	require.Equal(t, plain.buf, direct.buf)

	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	v.T = far
	require.False(t, de(&slabWriter{}, reflect.ValueOf(&v).Elem()), "a year JSON cannot carry")
}

const kindLeaves meta.Kind = "Leaves"

// leafObject holds leaves where a codec meets them addressable (a field,
// a slice's element, a pointer's target) and where it does not (a map's
// value).
type leafObject struct {
	Kind     meta.Kind         `json:"kind"`
	Metadata meta.ObjectMeta   `json:"metadata"`
	L        leaves            `json:"l"`
	S        []leaves          `json:"s"`
	P        *leaves           `json:"p"`
	M        map[string]leaves `json:"m"`
}

func (o *leafObject) GetKind() meta.Kind        { return o.Kind }
func (o *leafObject) GetMeta() *meta.ObjectMeta { return &o.Metadata }

// leafView reads part of a leafObject, as another type.
type leafView struct {
	Metadata meta.ObjectMeta `json:"metadata"`
	L        struct {
		S  string     `json:"S"`
		PT *time.Time `json:"PT"`
	} `json:"l"`
}

func (o *leafView) GetKind() meta.Kind        { return kindLeaves }
func (o *leafView) GetMeta() *meta.ObjectMeta { return &o.Metadata }

// Every read path of an object whose leaves are read and written at their
// offsets gives what its JSON round trip gives: Get into its own type and
// into another, List, Watch; under -race, checkptr checks the pointer
// arithmetic on each.
func TestLeaves_EveryReadPath(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := New()
	events, err := s.Watch(ctx, 0)
	require.NoError(t, err)
	l := sampleLeaves()
	obj := &leafObject{Kind: kindLeaves, Metadata: meta.ObjectMeta{Namespace: "ns", Name: "o"},
		L: l, S: []leaves{l, {}}, P: &l, M: map[string]leaves{"k": l, "zero": {}}}
	require.NotNil(t, objectCodecOf(reflect.TypeFor[leafObject]()), "kept in a slab")
	require.NoError(t, s.Create(ctx, obj))
	obj.L.S, obj.M["k"] = "updated", leaves{S: "in a map", PT: l.PT}
	require.NoError(t, s.Update(ctx, obj))

	data, err := json.Marshal(obj)
	require.NoError(t, err)
	want := &leafObject{}
	require.NoError(t, json.Unmarshal(data, want))

	got := &leafObject{}
	require.NoError(t, s.Get(ctx, meta.RefOf(obj), got))
	require.Equal(t, want, got, "Get into its own type")

	view := &leafView{}
	require.NoError(t, s.Get(ctx, meta.RefOf(obj), view))
	require.Equal(t, "updated", view.L.S, "Get into another type")
	require.Equal(t, *l.PT, *view.L.PT)

	listed, err := s.List(ctx, store.ListOptions{Kind: kindLeaves})
	require.NoError(t, err)
	require.Len(t, listed.Items, 1)
	fromList := &leafObject{}
	require.NoError(t, json.Unmarshal(listed.Items[0].Data, fromList))
	require.Equal(t, want, fromList, "List")

	for _, typ := range []store.EventType{store.Added, store.Modified} {
		ev := <-events
		require.NoError(t, ev.Err)
		require.Equal(t, typ, ev.Type)
		require.Equal(t, meta.RefOf(obj), ev.Ref, "Watch")
	}
}
