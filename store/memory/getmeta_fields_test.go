package memory

import (
	"context"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// Every field of ObjectMeta set (checked by reflection, so a field added
// later is covered or fails here), for every kind and both scopes: GetMeta
// must return what Get decodes, field for field. The owner walk reads
// OwnerRefs and the collector DeletionTime from it.
func TestGetMeta_EveryMetadataFieldAsGet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	del := time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)
	om := func(ns, name string) meta.ObjectMeta {
		return meta.ObjectMeta{Namespace: ns, Name: name, UID: "u-" + name, Generation: 7,
			Labels: map[string]string{"k": "v"}, Annotations: map[string]string{"a": "b"},
			OwnerRefs:    []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "owner"}, {Kind: meta.KindIssuer, Namespace: "ns", Name: "i"}},
			DeletionTime: &del}
	}
	objs := []meta.Object{
		&certificate.Certificate{ObjectMeta: om("ns", "c"), Spec: certificate.Spec{SecretName: "c-tls", DNSNames: []string{"a.test"}}},
		&request.CertificateRequest{ObjectMeta: om("ns", "r"), Spec: request.Spec{Request: []byte("csr")}},
		&order.Order{ObjectMeta: om("ns", "o")},
		&challenge.Challenge{ObjectMeta: om("ns", "ch")},
		&issuer.Issuer{ObjectMeta: om("ns", "i"), Spec: issuer.Spec{CA: &issuer.CAIssuer{SecretName: "ca"}}},
		&issuer.ClusterIssuer{ObjectMeta: om("", "ci"), Spec: issuer.Spec{CA: &issuer.CAIssuer{SecretName: "ca"}}},
		&secret.Secret{ObjectMeta: om("ns", "s"), Data: map[string][]byte{"tls.crt": []byte("pem")}},
		&meta.Event{ObjectMeta: om("ns", "e"), Object: meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"},
			Type: meta.EventNormal, Reason: "R", Message: "m", Time: del},
	}
	s := New()
	for _, obj := range objs {
		ref := meta.RefOf(obj)
		newObject := func() meta.Object { return reflect.New(reflect.TypeOf(obj).Elem()).Interface().(meta.Object) }
		require.NoError(t, s.Create(ctx, obj))
		for i := range 2 {
			got, err := s.GetMeta(ctx, ref, newObject)
			require.NoError(t, err)
			want := newObject()
			require.NoError(t, s.Get(ctx, ref, want))
			assert.Equal(t, *want.GetMeta(), got, "%s, write %d", ref.Kind, i)
			v := reflect.ValueOf(got)
			for f := range v.NumField() {
				if name := v.Type().Field(f).Name; !(name == "Namespace" && ref.Namespace == "") {
					assert.False(t, v.Field(f).IsZero(), "%s: %s is set, so compared", ref.Kind, name)
				}
			}
			obj.GetMeta().OwnerRefs = obj.GetMeta().OwnerRefs[1:]
			obj.GetMeta().Labels["k"] = "w" + strconv.Itoa(i)
			require.NoError(t, s.Update(ctx, obj))
		}
	}
}

// GetMeta racing Updates returns one stored version, whole: its version
// and the label each write sets with it belong together.
func TestGetMeta_OneVersionUnderConcurrentUpdates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := New()
	c := &certificate.Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c", Labels: map[string]string{"n": "0"}},
		Spec: certificate.Spec{SecretName: "c-tls", DNSNames: []string{"a.test"}}}
	require.NoError(t, s.Create(ctx, c))
	ref := meta.RefOf(c)
	var mu sync.Mutex
	labelOf := map[string]string{c.ObjectMeta.ResourceVersion: "0"}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; i <= 300; i++ {
			c.ObjectMeta.Labels = map[string]string{"n": strconv.Itoa(i)}
			if !assert.NoError(t, s.Update(ctx, c)) {
				return
			}
			mu.Lock()
			labelOf[c.ObjectMeta.ResourceVersion] = c.ObjectMeta.Labels["n"]
			mu.Unlock()
		}
	})
	for range 300 {
		m, err := s.GetMeta(ctx, ref, func() meta.Object { return &certificate.Certificate{} })
		require.NoError(t, err)
		mu.Lock()
		want, known := labelOf[m.ResourceVersion]
		mu.Unlock()
		if known {
			assert.Equal(t, want, m.Labels["n"], "version %s", m.ResourceVersion)
		}
	}
	wg.Wait()
}
