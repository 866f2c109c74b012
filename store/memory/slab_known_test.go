package memory

import (
	"context"
	"encoding/pem"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// eventOn is an Event on obj, owned by it, as the events writer stores one.
func eventOn(name string, obj meta.Ref, at time.Time) *meta.Event {
	return &meta.Event{
		TypeMeta:   meta.TypeMeta{APIVersion: meta.KindEvent.APIVersion(), Kind: meta.KindEvent},
		ObjectMeta: meta.ObjectMeta{Namespace: obj.Namespace, Name: name, OwnerRefs: []meta.Ref{obj}},
		Object:     obj, Type: meta.EventNormal, Reason: "Issuing", Message: "The certificate has been successfully issued",
		Time: at, FirstTime: at, Count: 1, ReportingInstance: "scale-7f3c",
	}
}

// An Event repeats its namespace, its owner's kind and its owner's name:
// its slab keeps each once, and every reader (Get, List, a watch event's
// metadata, the owner index) gets them back.
func TestKnownStrings_AreKeptOnceAndReadBack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := New()
	w, err := s.Watch(ctx, 0)
	require.NoError(t, err)
	at := time.Date(2026, 12, 1, 7, 3, 50, 0, time.UTC)
	owner := meta.Ref{Kind: meta.KindCertificate, Namespace: "tenant-a", Name: "shop-frontend"}
	ev := eventOn("shop-frontend.0123456789abcdef", owner, at)
	require.NoError(t, s.Create(ctx, ev))
	// The same Event but for an involved object whose strings are not the
	// owner's (of the same lengths): each is kept inline.
	other := eventOn("shop-frontend.fedcba9876543210", owner, at)
	other.Object = meta.Ref{Kind: "Xertificate", Namespace: "tenant-b", Name: "shop-frontenD"}
	require.NoError(t, s.Create(ctx, other))

	slabOf := func(e *meta.Event) string { return s.objects[meta.KindEvent].get(meta.RefOf(e)).slab().data }
	assert.LessOrEqual(t, len(slabOf(ev))+len("Certificate")+len("tenant-a")+len("shop-frontend"), len(slabOf(other)),
		"the involved object's kind, namespace and name are references")

	for _, want := range []*meta.Event{ev, other} {
		got := &meta.Event{}
		require.NoError(t, s.Get(ctx, meta.RefOf(want), got))
		assert.Equal(t, want, got)
	}
	res, err := s.List(ctx, store.ListOptions{Kind: meta.KindEvent, Owner: &owner})
	require.NoError(t, err)
	require.Len(t, res.Items, 2, "found through the owner index")
	for i, want := range []*meta.Event{ev, other} {
		got := &meta.Event{}
		require.NoError(t, res.Items[i].Decode(got))
		assert.Equal(t, want, got)
	}
	for _, want := range []*meta.Event{ev, other} {
		select {
		case change := <-w:
			assert.Equal(t, want.ObjectMeta, change.Meta)
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		}
	}
}

// What every issued certificate's Secret carries (cert-manager's
// annotation keys, its Secret type, PEM block types) is written as a known
// word, not shared: the Secret's slab holds a handle only for each
// certificate's DER, and a Get returns it as written.
func TestKnownStrings_IssuedSecretSharesOnlyItsCertificates(t *testing.T) {
	ctx := context.Background()
	s := New()
	rng := rand.New(rand.NewPCG(5, 6))
	ca := testPEM(rng, "CERTIFICATE", 410)
	leaf := testPEM(rng, "CERTIFICATE", 590)
	sec := &secret.Secret{
		TypeMeta: meta.TypeMeta{APIVersion: meta.KindSecret.APIVersion(), Kind: meta.KindSecret},
		ObjectMeta: meta.ObjectMeta{Namespace: "tenant-a", Name: "shop-tls", Annotations: map[string]string{
			"cert-manager.io/alt-names": "shop.example", "cert-manager.io/certificate-name": "shop",
			"cert-manager.io/common-name": "", "cert-manager.io/email-sans": "", "cert-manager.io/ip-sans": "",
			"cert-manager.io/issuer-group": "cert-manager.io", "cert-manager.io/issuer-kind": "Issuer",
			"cert-manager.io/issuer-name": "ca", "cert-manager.io/uri-sans": "", "certflow.io/spec-hash": "v2-de87e3ba4998e508"}},
		Type: secret.TypeTLS,
		Data: map[string][]byte{
			secret.TLSCertKey: append(append([]byte{}, leaf...), ca...), secret.CACertKey: ca,
			secret.TLSKeyKey: testPEM(rng, "EC PRIVATE KEY", 121)},
	}
	require.NoError(t, s.Create(ctx, sec))
	e := s.objects[meta.KindSecret].get(meta.RefOf(sec))
	var shared []string
	for _, h := range e.slab().handles() {
		shared = append(shared, h.Value())
	}
	assert.ElementsMatch(t, []string{derOf(t, ca), derOf(t, leaf)}, shared)

	got := &secret.Secret{}
	require.NoError(t, s.Get(ctx, meta.RefOf(sec), got))
	assert.Equal(t, sec, got)

	// A block type not listed is kept as before, and read back.
	odd := testPEM(rng, "X509 CRL", 200)
	sec.Data["crl.pem"] = odd
	require.NoError(t, s.Update(ctx, sec))
	require.NoError(t, s.Get(ctx, meta.RefOf(sec), got))
	assert.Equal(t, odd, got.Data["crl.pem"])
}

func testPEM(rng *rand.Rand, typ string, n int) []byte {
	der := make([]byte, n)
	for i := range der {
		der[i] = byte(rng.Uint32())
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func derOf(t *testing.T, p []byte) string {
	b, _ := pem.Decode(p)
	require.NotNil(t, b)
	return string(b.Bytes)
}

// knownIndex rules out a string by its length with one bit per length
// below 64: a known string as long as that would never be found.
func TestKnownStrings_AreShort(t *testing.T) {
	for _, s := range knownStrings {
		assert.Less(t, len(s), 64, "%q", s)
		i, ok := knownIndex(strings.Clone(s))
		assert.True(t, ok, "%q", s)
		assert.Equal(t, s, knownStrings[i-2])
	}
}
