package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Named types of every leaf kind, and ones whose JSON is their own: the
// plan of a struct's fields goes by kind, so each must still come back as
// its JSON round trip gives it.
type (
	advStr   string
	advI32   int32
	advBool  bool
	advU8    uint8
	advLevel int // JSON: a quoted name
	advUpper string
	AdvEmbed struct {
		ES  string
		EI  int64
		ET  time.Time
		EPT *time.Time
	}
	AdvName string
)

func (l advLevel) MarshalJSON() ([]byte, error) { return json.Marshal("level-" + strconv.Itoa(int(l))) }
func (l *advLevel) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	var n int
	_, err := fmt.Sscanf(s, "level-%d", &n)
	*l = advLevel(n * 2) // not the identity: a codec that bypasses it shows
	return err
}

func (u *advUpper) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*u = advUpper("U:" + s)
	return nil
}

// advPlain has only kinds the plan handles, between unexported fields and
// embedded structs that shift their offsets.
type advPlain struct {
	pad0 byte
	S    string
	AdvEmbed
	AdvName
	pad1 int16
	N    advStr
	I32  advI32
	B    advBool
	U8   advU8
	UP   uintptr
	PS   *advStr
	PB   *advBool
	PI   *advI32
	T    time.Time
	PT   *time.Time
	Skip string    `json:"-"`
	OE   string    `json:",omitempty"`
	OZ   time.Time `json:",omitzero"`
	OZP  *time.Time
	pad2 int64
	L    []advPlain          `json:",omitempty"`
	M    map[string]advPlain `json:",omitempty"`
}

// advCustom adds what the plan must not take: custom JSON on a leaf kind,
// a pointer to a pointer, an interface.
type advCustom struct {
	advPlain
	Lv  advLevel
	PLv *advLevel
	Up  advUpper
	PP  **string
	Any any
	MLv map[string]advLevel
	SUp []advUpper
}

type advObject[T any] struct {
	Kind     meta.Kind       `json:"kind"`
	Metadata meta.ObjectMeta `json:"metadata"`
	Spec     T               `json:"spec"`
}

func (o *advObject[T]) GetKind() meta.Kind        { return o.Kind }
func (o *advObject[T]) GetMeta() *meta.ObjectMeta { return &o.Metadata }

var advStrings = []string{"", "a", "certflow", "\xff\xfe bad utf8", "0123456789abcdef0123456789abcdef0123", // 36, not a UUID
	"3f2504e0-4f89-11d3-9a0c-0305e82c3301", "Certificate", "default", "é", string(make([]byte, 70))}

func advTime(r *rand.Rand) time.Time {
	locs := []*time.Location{time.UTC, time.FixedZone("plus2", 2*3600), time.FixedZone("zero-not-utc", 0), time.Local}
	switch r.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		return time.Now() // with a monotonic reading
	case 2:
		return time.Unix(r.Int64N(1<<35)-1<<34, r.Int64N(1e9)).In(locs[r.IntN(len(locs))])
	case 3:
		return time.Date(9999, 12, 31, 23, 59, 59, 999999999, locs[r.IntN(len(locs))])
	case 4:
		return time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(2026, 12, 2, r.IntN(24), r.IntN(60), 0, r.IntN(1e9), locs[r.IntN(len(locs))])
}

func advPtr[T any](r *rand.Rand, v T) *T {
	if r.IntN(3) == 0 {
		return nil
	}
	return &v
}

func randPlain(r *rand.Rand, depth int) advPlain {
	str := func() string { return advStrings[r.IntN(len(advStrings))] }
	p := advPlain{pad0: 1, S: str(), AdvName: AdvName(str()), pad1: 7, N: advStr(str()), I32: advI32(r.Int32() - 1<<30),
		B: r.IntN(2) == 0, U8: advU8(r.UintN(256)), UP: uintptr(r.Uint64()), PS: advPtr(r, advStr(str())),
		PB: advPtr(r, advBool(r.IntN(2) == 0)), PI: advPtr(r, advI32(r.Int32())), T: advTime(r), PT: advPtr(r, advTime(r)),
		Skip: str(), OE: str(), OZ: advTime(r), OZP: advPtr(r, advTime(r)), pad2: 3}
	p.AdvEmbed = AdvEmbed{ES: str(), EI: r.Int64() - 1<<62, ET: advTime(r), EPT: advPtr(r, advTime(r))}
	if depth > 0 {
		for range r.IntN(3) {
			p.L = append(p.L, randPlain(r, depth-1))
		}
		if r.IntN(2) == 0 {
			p.M = map[string]advPlain{str(): randPlain(r, depth-1), "k": randPlain(r, depth-1)}
		}
	}
	return p
}

func randCustom(r *rand.Rand) advCustom {
	s := advStrings[r.IntN(len(advStrings))]
	ps := &s
	c := advCustom{advPlain: randPlain(r, 1), Lv: advLevel(r.IntN(100)), PLv: advPtr(r, advLevel(r.IntN(100))),
		Up: advUpper(s), PP: &ps, Any: map[string]any{"n": 1.5, "s": s},
		MLv: map[string]advLevel{"a": advLevel(r.IntN(9))}, SUp: []advUpper{"x", advUpper(s)}}
	return c
}

// jsonRoundTrip is what the store must give back for obj: its JSON
// decoded into a fresh value (false when JSON cannot carry it).
func jsonRoundTrip[T any](t *testing.T, obj *advObject[T]) (*advObject[T], bool) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, false
	}
	want := &advObject[T]{}
	require.NoError(t, json.Unmarshal(data, want))
	return want, true
}

// Randomized objects of the types above through Create, Update, Get, List,
// ListOf and Watch give back what their JSON round trip gives (or are
// refused when JSON cannot carry them), and the caller's object is left
// as it was but for the store's fields.
func TestLeaves_AdversarialRoundTrip(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		require.NotNil(t, objectCodecOf(reflect.TypeFor[advObject[advPlain]]()), "kept in a slab")
		require.NotNil(t, objectCodecOf(reflect.TypeFor[advObject[advPlain]]()).direct(), "written directly")
		advRoundTrip(t, "AdvPlain", func(r *rand.Rand) advPlain { return randPlain(r, 2) })
	})
	t.Run("custom", func(t *testing.T) {
		require.Nil(t, objectCodecOf(reflect.TypeFor[advObject[advCustom]]()), "takes the JSON round trip")
		advRoundTrip(t, "AdvCustom", randCustom)
	})
}

func advRoundTrip[T any](t *testing.T, kind meta.Kind, gen func(*rand.Rand) T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	s := New()
	events, err := s.Watch(ctx, 0)
	require.NoError(t, err)
	expect := func(obj *advObject[T], typ store.EventType) {
		want, ok := jsonRoundTrip(t, obj)
		require.True(t, ok)
		got := &advObject[T]{Spec: gen(r)} // Get zeroes what it decodes into
		require.NoError(t, s.Get(ctx, meta.RefOf(obj), got))
		require.Equal(t, want, got, "Get")
		listed, err := s.List(ctx, store.ListOptions{Kind: kind})
		require.NoError(t, err)
		require.Len(t, listed.Items, 1)
		fromList := &advObject[T]{}
		require.NoError(t, json.Unmarshal(listed.Items[0].Data, fromList))
		require.Equal(t, want, fromList, "List")
		typed, err := store.ListOf[advObject[T]](ctx, s, store.ListOptions{Kind: kind})
		require.NoError(t, err)
		require.Len(t, typed, 1)
		require.Equal(t, want, typed[0], "ListOf")
		ev := <-events
		require.NoError(t, ev.Err)
		require.Equal(t, typ, ev.Type)
		require.Equal(t, want.Metadata, ev.Meta, "Watch")
	}
	for i := range 40 {
		obj := &advObject[T]{Kind: kind, Metadata: meta.ObjectMeta{Namespace: "ns", Name: fmt.Sprintf("o%d", i),
			Labels: map[string]string{"a": "1"}}, Spec: gen(r)}
		if _, ok := jsonRoundTrip(t, obj); !ok {
			require.Error(t, s.Create(ctx, obj))
			continue
		}
		require.NoError(t, s.Create(ctx, obj))
		expect(obj, store.Added)
		for range 3 {
			next := gen(r)
			obj.Spec = next
			if _, ok := jsonRoundTrip(t, obj); !ok {
				require.Error(t, s.Update(ctx, obj))
				continue
			}
			before, err := json.Marshal(next)
			require.NoError(t, err)
			require.NoError(t, s.Update(ctx, obj))
			after, err := json.Marshal(obj.Spec)
			require.NoError(t, err)
			require.JSONEq(t, string(before), string(after), "Update leaves the caller's object as it was")
			expect(obj, store.Modified)
		}
		require.NoError(t, s.Delete(ctx, meta.RefOf(obj), ""))
		ev := <-events
		require.Equal(t, store.Deleted, ev.Type)
	}
}

// AdvBase holds the metadata one struct down, between leaves: the plan of
// the struct around it and of AdvBase itself take offsets of their own.
type AdvBase struct {
	Before   advI32          `json:"before"`
	Metadata meta.ObjectMeta `json:"metadata"`
	After    *advStr         `json:"after"`
	AT       time.Time       `json:"at"`
}

type advNested struct {
	Kind meta.Kind `json:"kind"`
	AdvBase
	Spec advPlain `json:"spec"`
	Tail advBool  `json:"tail"`
}

func (o *advNested) GetKind() meta.Kind        { return o.Kind }
func (o *advNested) GetMeta() *meta.ObjectMeta { return &o.Metadata }

// An object whose metadata is in an embedded struct, with leaves before
// and after it at both levels, comes back as its JSON round trip.
func TestLeaves_MetadataOneDown(t *testing.T) {
	ctx := context.Background()
	require.NotNil(t, objectCodecOf(reflect.TypeFor[advNested]()).direct(), "written directly")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	s := New()
	after := advStr("\xffafter")
	// carried draws spec and time until JSON can carry them.
	carried := func(o *advNested) {
		for {
			o.Spec, o.AT = randPlain(r, 1), advTime(r)
			if _, err := json.Marshal(o); err == nil {
				return
			}
		}
	}
	obj := &advNested{Kind: "AdvNested", AdvBase: AdvBase{Before: -5, Metadata: meta.ObjectMeta{Namespace: "ns", Name: "n"},
		After: &after}, Tail: true}
	carried(obj)
	require.NoError(t, s.Create(ctx, obj))
	obj.Before, obj.Tail = 9, false
	carried(obj)
	require.NoError(t, s.Update(ctx, obj))
	data, err := json.Marshal(obj)
	require.NoError(t, err)
	want := &advNested{}
	require.NoError(t, json.Unmarshal(data, want))
	got := &advNested{}
	require.NoError(t, s.Get(ctx, meta.RefOf(obj), got))
	require.Equal(t, want, got)
}

// Update finds the object at the id it had when Update began only while
// its entry is still the one it read. Raced by a delete of the object and
// a create of another (which takes the freed id) or of the same name (a
// new UID), an update of the deleted object fails as not found (or as a
// conflict with the same name's new version), or succeeds before the
// delete, and never lands on the new object.
func TestUpdate_RacesDeleteAndCreate(t *testing.T) {
	for _, other := range []string{"other", "same"} {
		t.Run(other, func(t *testing.T) { updateRacesDeleteAndCreate(t, other) })
	}
}

func updateRacesDeleteAndCreate(t *testing.T, other string) {
	ctx := context.Background()
	s := New()
	ref := meta.Ref{Kind: "AdvPlain", Namespace: "ns", Name: "same"}
	mk := func(name string) *advObject[advPlain] {
		return &advObject[advPlain]{Kind: ref.Kind, Metadata: meta.ObjectMeta{Namespace: ref.Namespace, Name: name}, Spec: advPlain{S: "v"}}
	}
	otherRef := meta.Ref{Kind: ref.Kind, Namespace: ref.Namespace, Name: other}
	updates, notFound := 0, 0
	for range 400 {
		require.NoError(t, s.Create(ctx, mk(ref.Name)))
		got := &advObject[advPlain]{}
		require.NoError(t, s.Get(ctx, ref, got))
		got.Spec.S = "updated"
		// Long enough to encode that the delete and create often fall
		// between Update's first look and its write.
		got.Spec.L = slices.Repeat([]advPlain{{S: "a long enough list"}}, 500)
		var wg sync.WaitGroup
		var updateErr error
		wg.Go(func() { updateErr = s.Update(ctx, got) })
		jitter := time.Duration(rand.IntN(400)) * time.Microsecond
		wg.Go(func() {
			// Jitter, not a wait: spread the delete over Update's window.
			for start := time.Now(); time.Since(start) < jitter; {
			}
			if err := s.Delete(ctx, ref, ""); err != nil {
				t.Error(err)
			}
			if err := s.Create(ctx, mk(other)); err != nil { // takes the freed id
				t.Error(err)
			}
		})
		wg.Wait()
		switch {
		case updateErr == nil:
			updates++
		case errors.Is(updateErr, store.ErrNotFound):
			notFound++
		case other == ref.Name && errors.Is(updateErr, store.ErrConflict):
			// After the create: the same name, another version.
		default:
			t.Fatalf("update of a deleted object: %v", updateErr)
		}
		now := &advObject[advPlain]{}
		require.NoError(t, s.Get(ctx, otherRef, now))
		require.Equal(t, "v", now.Spec.S, "the update landed on the object created after the delete")
		require.NotEqual(t, got.Metadata.UID, now.Metadata.UID)
		require.NoError(t, s.Delete(ctx, otherRef, ""))
	}
	t.Logf("%d updates before the delete, %d not found", updates, notFound)
}
