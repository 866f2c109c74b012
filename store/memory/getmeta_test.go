package memory

import (
	"context"
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
)

// Every kind the Manager checks the version or the owners of is kept in a
// slab, whose metadata GetMeta reads without decoding the rest: it must
// read what Get decodes, as of each write.
func TestGetMeta_IsGetsMetadataForEveryKind(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	om := func(name string) meta.ObjectMeta {
		return meta.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{"k": "v"},
			Annotations: map[string]string{"a": "b"},
			OwnerRefs:   []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "owner"}}}
	}
	objs := []meta.Object{
		&certificate.Certificate{ObjectMeta: om("c"), Spec: certificate.Spec{SecretName: "c-tls", DNSNames: []string{"a.test"}}},
		&request.CertificateRequest{ObjectMeta: om("r"), Spec: request.Spec{Request: []byte("csr")}},
		&order.Order{ObjectMeta: om("o")},
		&challenge.Challenge{ObjectMeta: om("ch")},
		&issuer.Issuer{ObjectMeta: om("i"), Spec: issuer.Spec{CA: &issuer.CAIssuer{SecretName: "ca"}}},
		&secret.Secret{ObjectMeta: om("s"), Data: map[string][]byte{"tls.crt": []byte("pem")}},
	}
	s := New(WithClock(clock.NewFake(time.Date(2026, 3, 1, 13, 0, 0, 123456789, time.UTC))))
	for _, obj := range objs {
		ref := meta.RefOf(obj)
		newObject := func() meta.Object { return reflect.New(reflect.TypeOf(obj).Elem()).Interface().(meta.Object) }
		require.NoError(t, s.Create(ctx, obj))
		for range 2 {
			got, err := s.GetMeta(ctx, ref, newObject)
			require.NoError(t, err)
			want := newObject()
			require.NoError(t, s.Get(ctx, ref, want))
			assert.Equal(t, *want.GetMeta(), got, "%s", ref.Kind)
			assert.Equal(t, obj.GetMeta().ResourceVersion, got.ResourceVersion, "%s: the version stored", ref.Kind)

			obj.GetMeta().Labels["k"] = "w"
			obj.GetMeta().OwnerRefs = append(obj.GetMeta().OwnerRefs, meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "o2"})
			require.NoError(t, s.Update(ctx, obj))
		}
	}
}
