package memory

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/internal/objects"
	"github.com/certflow/certflow/store/storetest"
)

// normalisedKinds are the objects the differential test and the fuzz
// target fill at random: every kind certflow stores (kinds.go), the
// conformance suite's Widget, and test types holding every shape and
// corner a normaliser handles.
var normalisedKinds = []func() meta.Object{
	func() meta.Object { return &certificate.Certificate{} },
	func() meta.Object { return &request.CertificateRequest{} },
	func() meta.Object { return &order.Order{} },
	func() meta.Object { return &challenge.Challenge{} },
	func() meta.Object { return &issuer.Issuer{} },
	func() meta.Object { return &issuer.ClusterIssuer{} },
	func() meta.Object { return &secret.Secret{} },
	func() meta.Object { return &meta.Event{} },
	func() meta.Object { return &storetest.Widget{} },
	func() meta.Object { return &shapes{} },
	func() meta.Object { return &corners{} },
}

// corners holds what JSON treats specially beyond certflow's kinds.
type corners struct {
	meta.TypeMeta `json:",inline"`
	Metadata      meta.ObjectMeta `json:"metadata"`
	Embedded
	Named      Embedded                    `json:"named"`
	Skipped    string                      `json:"-"`
	Dash       string                      `json:"-,"`
	hidden     int                         //nolint:unused // JSON leaves it zero
	Raw        json.RawMessage             `json:"raw"`
	RawOmit    json.RawMessage             `json:"rawOmit,omitempty"`
	ZeroTime   time.Time                   `json:"zeroTime,omitzero"`
	ZeroRef    meta.Ref                    `json:"zeroRef,omitzero"`
	EmptySlice []meta.Ref                  `json:"emptySlice,omitempty"`
	EmptyMap   map[string]int              `json:"emptyMap,omitempty"`
	Pointers   map[string]*meta.IssuerRef  `json:"pointers"`
	Durations  []meta.Duration             `json:"durations"`
	Times      map[string]*time.Time       `json:"times"`
	Array      [3]string                   `json:"array"`
	ByteArray  [2]byte                     `json:"byteArray"`
	Nested     map[string]map[string][]int `json:"nested"`
	Uint       uint16                      `json:"uint"`
}

// Embedded's fields are promoted into corners' encoding.
type Embedded struct {
	Promoted string   `json:"promoted,omitempty"`
	List     []string `json:"list"`
}

func (c *corners) GetKind() meta.Kind        { return "Corners" }
func (c *corners) GetMeta() *meta.ObjectMeta { return &c.Metadata }

// filler sets values from a stream of bytes (go-fuzz style): each choice
// reads one byte, and a drained stream reads zeros.
type filler struct {
	data []byte
	// full makes every pointer, slice and map non-nil and non-empty.
	full bool
}

func (f *filler) byte() byte {
	if len(f.data) == 0 {
		return 0
	}
	b := f.data[0]
	f.data = f.data[1:]
	return b
}

func (f *filler) intn(n int) int { return int(f.byte()) % n }

func (f *filler) int64() int64 {
	var v uint64
	for range 8 {
		v = v<<8 | uint64(f.byte())
	}
	return int64(v)
}

// strs are the strings filled in: empty, plain, invalid UTF-8 (two that
// JSON makes equal), HTML, non-ASCII and a line separator.
var strs = []string{"", "a", "ns", "Ready", "\xff", "\xfe", "a\xc3(b", "<&>", "é", "\u2028", "\x00", "x\xffy\xfe",
	// What a slab keeps otherwise: a UUID (and one not in the form the
	// store makes), a key long enough to share, a long string.
	"0f8fad5b-d9cb-469f-a165-70867728950e", "0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5b-d9cb-469f-a165-70867728950\xff",
	"cert-manager.io/issuer-name", strings.Repeat("long\xff", 16),
	// What a slab writes as a reference: the object's name, a known word.
	"n", "Certificate", "v1"}

// blobs are the byte slices filled in beside random bytes: PEM texts a
// slab keeps as DER, and ones almost like them it must keep as they are.
var blobs = func() [][]byte {
	der := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + n)
		}
		return b
	}
	block := func(typ string, n int) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der(n)}) }
	leaf, ca := block("CERTIFICATE", 301), block("CERTIFICATE", 48) // 48: lines of exactly 64
	key := block("EC PRIVATE KEY", 121)
	withHeader := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: der(90)})
	return [][]byte{
		leaf, slices.Concat(leaf, ca), key, block("CERTIFICATE", 0), block("X", 1),
		withHeader,
		slices.Concat(leaf, []byte("\n")),                    // a blank line after
		slices.Concat([]byte("junk\n"), leaf),                // text before
		bytes.ReplaceAll(leaf, []byte("\n"), []byte("\r\n")), // CRLF
		leaf[:len(leaf)-1],                                   // no last newline
		bytes.Replace(leaf, []byte("\n"), nil, 2),            // other line lengths
		bytes.Replace(slices.Clone(leaf), []byte("-----\n"), []byte("----- \n"), 1), // a space after BEGIN
	}
}()

var zones = []*time.Location{
	time.UTC, time.Local, time.FixedZone("", 3600), time.FixedZone("CET", 3600), time.FixedZone("", -5*3600-1800),
	time.FixedZone("LMT", 1172), // an offset with seconds: RFC 3339 drops them
	time.FixedZone("", 0), time.FixedZone("X", 25*3600),
}

func (f *filler) time() time.Time {
	switch b := f.byte(); {
	case b == 0:
		return time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // JSON cannot encode it
	case b == 1:
		return time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) // JSON encodes it, cannot decode it
	case b%8 == 2:
		return time.Time{}
	case b%8 == 3:
		return time.Now() // with a monotonic reading
	case b%8 == 4:
		return time.Time{}.In(zones[f.intn(len(zones))]) // zero, but not UTC
	}
	sec := f.int64() % (400 * 365 * 24 * 3600)
	return time.Unix(1e9+sec, f.int64()%1e9).In(zones[f.intn(len(zones))])
}

var raws = []string{"", "null", "{}", ` { "a" : [1, 2] , "b":"<x>" } `, `{`, `"\u2028"`, `1e3`, ` `}

var durations = []time.Duration{0, 1, -1, time.Hour, math.MaxInt64, math.MinInt64, 90 * time.Minute}

// fillObject fills obj, unexported fields too where a test type has them.
func (f *filler) fillObject(obj meta.Object) {
	f.fill(reflect.ValueOf(obj).Elem())
	if c, ok := obj.(*corners); ok {
		c.hidden = 1 + f.intn(9)
	}
}

func (f *filler) fill(v reflect.Value) {
	switch v.Type() {
	case timeType:
		v.Set(reflect.ValueOf(f.time()))
		return
	case durationType:
		d := durations[f.intn(len(durations))]
		if f.intn(2) == 0 {
			d = time.Duration(f.int64())
		}
		v.Set(reflect.ValueOf(meta.Duration{Duration: d}))
		return
	case rawMessageType:
		if i := f.intn(len(raws) + 1); i < len(raws) {
			v.SetBytes([]byte(raws[i]))
		}
		return
	}
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 && f.intn(3) == 0 {
		v.SetBytes(slices.Clone(blobs[f.intn(len(blobs))]))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(f.intn(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(f.int64())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.int64()))
	case reflect.String:
		v.SetString(strs[f.intn(len(strs))])
	case reflect.Pointer:
		if f.full || f.intn(3) != 0 {
			p := reflect.New(v.Type().Elem())
			f.fill(p.Elem())
			v.Set(p)
		}
	case reflect.Slice:
		n := f.intn(5) - 1 // -1: nil
		if f.full {
			n = 1 + f.intn(3)
		}
		if n < 0 {
			return
		}
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			f.fill(s.Index(i))
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			f.fill(v.Index(i))
		}
	case reflect.Map:
		n := f.intn(5) - 1
		if f.full {
			n = 1 + f.intn(4)
		}
		if n < 0 {
			return
		}
		m := reflect.MakeMap(v.Type())
		for range n {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(k)
			f.fill(e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	}
}

// normalised reports whether obj's normaliser reproduces it (rather than
// leaving it to the JSON round trip).
func normalised(obj meta.Object) bool {
	t := reflect.TypeOf(obj).Elem()
	return normaliserOf(t)(reflect.New(t).Elem(), reflect.ValueOf(obj).Elem(), reflect.Value{})
}

// checkNormalised fails unless decodeAhead (a normaliser where there is
// one) gives exactly what the JSON round trip gives, or the same error,
// without changing obj: on its own, and lent the strings of a previous
// version that is the same (other, if not nil, is one that differs).
func checkNormalised(t *testing.T, obj, other meta.Object) {
	t.Helper()
	before := reflect.New(reflect.TypeOf(obj).Elem())
	deepCopy(before.Elem(), reflect.ValueOf(obj).Elem())
	ref := meta.RefOf(obj)
	want, wantErr := decodeThroughJSON(ref, obj)
	prevs := []meta.Object{nil, want}
	if other != nil {
		if o, err := decodeThroughJSON(ref, other); err == nil && o != nil {
			prevs = append(prevs, o)
		}
	}
	for _, prev := range prevs {
		got, gotErr := decodeAhead(ref, obj, prev)
		require.Equal(t, before.Interface(), obj, "obj unchanged")
		if wantErr != nil {
			require.Error(t, gotErr)
			require.ErrorIs(t, gotErr, store.ErrInvalid)
			require.Equal(t, wantErr.Error(), gotErr.Error())
			continue
		}
		require.NoError(t, gotErr)
		if !reflect.DeepEqual(want, got) {
			require.Equal(t, want, got, "as the JSON round trip (previous version %v)", prev != nil)
			require.FailNow(t, "not deeply equal", "%#v\n%#v", want, got)
		}
	}
}

// checkStored fails unless a store holding obj gives back from Get exactly
// what obj's JSON decodes to, or refuses it as JSON does, losing nothing.
func checkStored(t *testing.T, obj meta.Object) {
	t.Helper()
	ctx := context.Background()
	m := obj.GetMeta()
	m.Name, m.Namespace, m.UID, m.ResourceVersion = "n", "ns", "", ""
	if obj.GetKind().ClusterScoped() {
		m.Namespace = ""
	}
	if objects.ValidateRef(meta.RefOf(obj)) != nil {
		return // not storable (a Widget of a kind filled at random)
	}
	s := New(WithClock(clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC))))
	before := reflect.New(reflect.TypeOf(obj).Elem())
	deepCopy(before.Elem(), reflect.ValueOf(obj).Elem())
	err := s.Create(ctx, obj)
	if _, encErr := json.Marshal(before.Interface()); encErr != nil {
		require.ErrorIs(t, err, store.ErrInvalid)
		require.Equal(t, before.Interface(), obj, "a refused object is left as it was")
		return
	}
	require.NoError(t, err)
	data, err := json.Marshal(obj)
	require.NoError(t, err)
	want := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(meta.Object)
	jsonErr := json.Unmarshal(data, want)
	got := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(meta.Object)
	getErr := s.Get(ctx, meta.RefOf(obj), got)
	if jsonErr != nil {
		require.ErrorIs(t, getErr, store.ErrCorrupt)
		return
	}
	require.NoError(t, getErr)
	require.True(t, reflect.DeepEqual(want, got), "Get as the JSON round trip:\n%#v\n%#v", want, got)

	// List encodes the same, and an update of what Get returned keeps it.
	res, err := s.List(ctx, store.ListOptions{Kind: obj.GetKind()})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	listed := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(meta.Object)
	require.NoError(t, json.Unmarshal(res.Items[0].Data, listed))
	require.True(t, reflect.DeepEqual(want, listed), "List as the JSON round trip:\n%#v\n%#v", want, listed)
	if meta.RefOf(got) != meta.RefOf(obj) {
		return // a kind JSON changed (a Widget's, filled at random) names another object
	}
	require.NoError(t, s.Update(ctx, got))
	again := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(meta.Object)
	require.NoError(t, s.Get(ctx, meta.RefOf(obj), again))
	wantMeta := want.GetMeta()
	wantMeta.ResourceVersion = got.GetMeta().ResourceVersion
	require.True(t, reflect.DeepEqual(want, again), "Get after an update:\n%#v\n%#v", want, again)
}

// Every kind, filled at random with every corner (nil, empty, invalid
// UTF-8, times in every zone and out of range, raw JSON good and bad),
// all empty, and all set: the normaliser gives what JSON gives, and a
// store holding it gives that back.
func TestNormaliserMatchesJSONRoundTrip(t *testing.T) {
	rounds := 100
	if testing.Short() {
		rounds = 20
	}
	for i, kind := range normalisedKinds {
		t.Run(string(kind().GetKind())+reflect.TypeOf(kind()).Elem().Name(), func(t *testing.T) {
			require.NotNil(t, normaliserOf(reflect.TypeOf(kind()).Elem()), "has a normaliser")
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			byNormaliser := 0
			for round := range rounds {
				data := make([]byte, 64+rng.IntN(4096))
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				var previous meta.Object
				for _, full := range []bool{false, true} {
					obj := kind()
					(&filler{data: data, full: full}).fillObject(obj)
					checkNormalised(t, obj, previous)
					previous = obj
					if normalised(obj) {
						byNormaliser++
					}
					checkStored(t, obj)
				}
				if round == 0 {
					checkNormalised(t, kind(), nil)
					checkStored(t, kind())
				}
			}
			// Most fills are the normaliser's to reproduce, not the fallback's.
			require.Greater(t, byNormaliser, rounds/2, "reproduced by the normaliser")
			t.Logf("%d of %d fills reproduced by the normaliser", byNormaliser, 2*rounds)
		})
	}
}

func FuzzNormaliser(f *testing.F) {
	for i := range normalisedKinds {
		f.Add(uint8(i), false, []byte{})
		f.Add(uint8(i), true, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 200, 150, 100, 50})
	}
	f.Fuzz(func(t *testing.T, kind uint8, full bool, data []byte) {
		newObj := normalisedKinds[int(kind)%len(normalisedKinds)]
		obj, other := newObj(), newObj()
		(&filler{data: data, full: full}).fillObject(obj)
		(&filler{data: data[len(data)/2:], full: !full}).fillObject(other)
		checkNormalised(t, obj, other)
		checkStored(t, obj)
	})
}
