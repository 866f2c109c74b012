package memory

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
