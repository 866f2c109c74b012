package memory

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
	"github.com/certflow/certflow/store/storetest"
)

// roundTrip is what a store keeping JSON would give back for obj.
func roundTrip[T any, PT interface {
	*T
	meta.Object
}](t *testing.T, obj PT) PT {
	t.Helper()
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	out := PT(new(T))
	require.NoError(t, json.Unmarshal(b, out))
	return out
}

// TestGetCopiesDecoded: a Get equals decoding the object's JSON, and
// changing what one Get returned changes neither the store nor what the
// next Get returns.
func TestGetCopiesDecoded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := New()
	in := &secret.Secret{
		ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "a", Labels: map[string]string{"l": "1"},
			Annotations: map[string]string{"a": "1", "empty": ""}, OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}}},
		Data: map[string][]byte{"tls.key": []byte("key"), "empty": {}},
	}
	require.NoError(t, s.Create(ctx, in))
	ref := meta.RefOf(in)
	want := roundTrip(t, in)

	first := &secret.Secret{}
	require.NoError(t, s.Get(ctx, ref, first))
	assert.Equal(t, want, first)

	first.ObjectMeta.Labels["l"] = "changed"
	first.ObjectMeta.Annotations["b"] = "new"
	first.ObjectMeta.OwnerRefs[0].Name = "other"
	first.ObjectMeta.CreationTime = nil
	first.Data["tls.key"][0] = 'X'
	first.Data["new"] = []byte("x")
	in.Data["tls.key"][0] = 'Y' // nor does the caller's object share anything with the store

	for range 2 {
		again := &secret.Secret{Data: map[string][]byte{"leftover": nil}}
		require.NoError(t, s.Get(ctx, ref, again))
		assert.Equal(t, want, again)
	}
}

// Every kind certflow stores is kept decoded only: its encoding is not kept
// beside it (the memory doubling of issue 11), and Get and List return what
// its JSON decodes to.
func TestEveryKindIsKeptDecodedOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	om := func(name string) meta.ObjectMeta {
		return meta.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{"k": "v"}}
	}
	objs := []meta.Object{
		&certificate.Certificate{ObjectMeta: om("c"), Spec: certificate.Spec{SecretName: "c-tls", DNSNames: []string{"a.test"},
			Duration: &meta.Duration{Duration: time.Hour}}, Status: certificate.Status{NotAfter: &now,
			Conditions: meta.Conditions{{Type: meta.ConditionReady, Status: meta.ConditionTrue, LastTransitionTime: now}}}},
		&request.CertificateRequest{ObjectMeta: om("r"), Spec: request.Spec{Request: []byte("csr"), Extra: map[string][]string{"x": {"y"}}}},
		&order.Order{ObjectMeta: om("o")},
		&challenge.Challenge{ObjectMeta: om("ch")},
		&issuer.Issuer{ObjectMeta: om("i"), Spec: issuer.Spec{CA: &issuer.CAIssuer{SecretName: "ca"}}},
		&issuer.ClusterIssuer{ObjectMeta: meta.ObjectMeta{Name: "ci", Labels: map[string]string{"k": "v"}}},
		&secret.Secret{ObjectMeta: om("s"), Data: map[string][]byte{"tls.crt": []byte("pem")}},
	}
	// A clock in another zone, with nanoseconds: the stored creation time
	// must still be what JSON gives back.
	s := New(WithClock(clock.NewFake(time.Date(2026, 3, 1, 13, 0, 0, 123456789, time.FixedZone("CET", 3600)))))
	for _, obj := range objs {
		require.NoError(t, s.Create(ctx, obj))
		ref := meta.RefOf(obj)
		e := s.objects[ref.Kind].get(ref)
		require.NotNil(t, e.codec(), "%s is kept in a slab, with no encoding beside it", ref.Kind)
		assertStoredAsJSON(ctx, t, s, obj)

		obj.GetMeta().Generation = 0 // keeps the stored one
		obj.GetMeta().Labels["k"] = "w"
		require.NoError(t, s.Update(ctx, obj))
		assertStoredAsJSON(ctx, t, s, obj)
	}
}

// assertStoredAsJSON checks that Get returns, and List encodes, what obj
// (as the store left it after a write) becomes through JSON.
func assertStoredAsJSON(ctx context.Context, t *testing.T, s *Store, obj meta.Object) {
	t.Helper()
	ref := meta.RefOf(obj)
	want, err := json.Marshal(obj)
	require.NoError(t, err)
	wantObj := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(meta.Object)
	require.NoError(t, json.Unmarshal(want, wantObj))
	got := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(meta.Object)
	require.NoError(t, s.Get(ctx, ref, got))
	assert.Equal(t, wantObj, got, "%s: Get returns what its JSON decodes to", ref.Kind)
	res, err := s.List(ctx, store.ListOptions{Kind: ref.Kind})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	assert.JSONEq(t, string(want), string(res.Items[0].Data), "%s: List encodes the object", ref.Kind)
}

// partialOrder reads part of another type, as the challenge reconciler
// reads its Order: Get decodes the object's encoding into it.
type partialOrder struct {
	ObjectMeta meta.ObjectMeta `json:"metadata"`
	Spec       struct {
		SecretName string `json:"secretName"`
	} `json:"spec"`
}

func (o *partialOrder) GetKind() meta.Kind        { return meta.KindCertificate }
func (o *partialOrder) GetMeta() *meta.ObjectMeta { return &o.ObjectMeta }

func TestGetIntoAnotherType(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := New()
	c := &certificate.Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c"}, Spec: certificate.Spec{SecretName: "c-tls"}}
	require.NoError(t, s.Create(ctx, c))
	got := &partialOrder{}
	require.NoError(t, s.Get(ctx, meta.RefOf(c), got))
	assert.Equal(t, "c-tls", got.Spec.SecretName)
	assert.Equal(t, c.ObjectMeta.UID, got.ObjectMeta.UID)
}

// opaque holds an interface, which deepCopy cannot copy: it is kept encoded
// and decoded on every Get, as before.
type opaque struct {
	storetest.Widget
	Any any `json:"any"`
}

func TestUncopyableTypeIsKeptEncoded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := New()
	in := &opaque{Widget: *storetest.NewWidget("ns", "o", nil), Any: map[string]any{"n": 1.0}}
	require.NoError(t, s.Create(ctx, in))
	ref := meta.RefOf(in)
	e := s.objects[ref.Kind].get(ref)
	require.Nil(t, e.codec())
	require.IsType(t, &jsonObject{}, e.decoded().obj)
	assert.NotEmpty(t, e.decoded().obj.(*jsonObject).data)
	got := &opaque{}
	require.NoError(t, s.Get(ctx, ref, got))
	assert.Equal(t, roundTrip(t, in), got)
	got.Any.(map[string]any)["n"] = 2.0
	again := &opaque{}
	require.NoError(t, s.Get(ctx, ref, again))
	assert.Equal(t, 1.0, again.Any.(map[string]any)["n"])
}

// shapes holds what a deep copy must reproduce exactly as JSON decoding
// does: empty but not nil slices and maps, nested pointers and slices of
// structs.
type shapes struct {
	storetest.Widget
	Empty    []string          `json:"empty"`
	Nil      []string          `json:"nil"`
	Bytes    []byte            `json:"bytes"`
	NoBytes  []byte            `json:"noBytes"`
	EmptyMap map[string]string `json:"emptyMap"`
	Nested   []*[]meta.Ref     `json:"nested"`
	Structs  []meta.Condition  `json:"structs"`
	Arrays   [2][]int          `json:"arrays"`
	MapOfMap map[string]map[string][]byte
}

func TestGetReproducesEveryShape(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := New()
	refs := []meta.Ref{{Kind: meta.KindCertificate, Name: "c"}}
	in := &shapes{Widget: *storetest.NewWidget("ns", "s", nil), Empty: []string{}, Bytes: []byte{}, EmptyMap: map[string]string{},
		Nested: []*[]meta.Ref{&refs, nil}, Structs: []meta.Condition{{Type: "Ready", Status: meta.ConditionTrue}},
		Arrays: [2][]int{{1}, {}}, MapOfMap: map[string]map[string][]byte{"a": {"b": []byte("c")}, "nil": nil}}
	require.NoError(t, s.Create(ctx, in))
	require.NotNil(t, s.objects[in.Kind].get(in.Ref()).codec, "kept in a slab")
	want := roundTrip(t, in)
	require.NotNil(t, want.Empty)
	require.Nil(t, want.Nil)
	for range 2 {
		got := &shapes{}
		require.NoError(t, s.Get(ctx, in.Ref(), got))
		assert.Equal(t, want, got)
		(*got.Nested[0])[0].Name = "changed"
		got.MapOfMap["a"]["b"][0] = 'X'
		got.Arrays[0][0] = 9
	}
}
