package certflow

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

func TestServingSecretDecodesWhatJSONWould(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}
	for _, tc := range []struct {
		name, data string
		ok         bool
		crt, key   []byte
	}{
		{"as written", `{"metadata":{"name":"s"},"type":"kubernetes.io/tls","data":{"ca.crt":"Y2E=","tls.crt":"Y3J0","tls.key":"a2V5"}}`, true, []byte("crt"), []byte("key")},
		{"no data", `{"metadata":{"name":"s"}}`, true, nil, nil},
		{"null data", `{"data":null}`, true, nil, nil},
		{"null value", `{"data":{"tls.crt":null,"tls.key":"a2V5"}}`, true, nil, []byte("key")},
		{"empty value", `{"data":{"tls.crt":"","tls.key":"a2V5"}}`, true, []byte{}, []byte("key")},
		{"the last of a repeated key", `{"data":{"tls.crt":"eA==","tls.crt":"Y3J0"}}`, true, []byte("crt"), nil},
		{"white space", " { \"data\" : { \"tls.crt\" : \"Y3J0\" } } ", true, []byte("crt"), nil},
		{"a key cased otherwise", `{"Data":{"tls.crt":"Y3J0"}}`, true, []byte("crt"), nil},
		{"an escaped key", `{"d\u0061ta":{"tls.crt":"Y3J0"}}`, true, []byte("crt"), nil},
		{"an escaped member key", `{"data":{"tls\u002ecrt":"Y3J0"}}`, true, []byte("crt"), nil},
		{"an escaped value", `{"data":{"tls.crt":"Y2E\u003d"}}`, true, []byte("ca"), nil},
		{"data twice", `{"data":{"tls.crt":"Y3J0"},"data":{"tls.key":"a2V5"}}`, true, []byte("crt"), []byte("key")},
		{"not base64", `{"data":{"tls.crt":"!!"}}`, false, nil, nil},
		{"not a string", `{"data":{"tls.crt":5}}`, false, nil, nil},
		{"data not an object", `{"data":"x"}`, false, nil, nil},
		{"not JSON", `{"data":`, false, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want secret.Secret
			require.Equal(t, tc.ok, json.Unmarshal([]byte(tc.data), &want) == nil, "the case's own expectation")
			s, ok := servingSecret(store.Raw{Ref: ref, ResourceVersion: "7", Data: []byte(tc.data)})
			require.Equal(t, tc.ok, ok)
			if !ok {
				return
			}
			assert.Equal(t, want.Data[secret.TLSCertKey], s.Data[secret.TLSCertKey])
			assert.Equal(t, want.Data[secret.TLSKeyKey], s.Data[secret.TLSKeyKey])
			assert.Equal(t, tc.crt, s.Data[secret.TLSCertKey])
			assert.Equal(t, tc.key, s.Data[secret.TLSKeyKey])
			assert.Equal(t, ref, meta.RefOf(s), "named by the listing")
			assert.Equal(t, "7", s.ObjectMeta.ResourceVersion)
		})
	}
}

func FuzzServingSecret(f *testing.F) {
	f.Add([]byte(`{"type":"kubernetes.io/tls","data":{"tls.crt":"Y3J0","tls.key":"a2V5"}}`))
	f.Add([]byte(`{"DATA":{"tls.key":"a2V5"},"data":{"tls.crt":"Y3J0"}}`))
	f.Add([]byte(`{"data":{"tls.crt":"Y3J0\n"}}`))
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want secret.Secret
		if json.Unmarshal(data, &want) != nil {
			// Not JSON: the Store reports it; only the decoder must not panic.
			_, _ = servingSecret(store.Raw{Ref: ref, Data: data})
			return
		}
		s, ok := servingSecret(store.Raw{Ref: ref, Data: data})
		require.True(t, ok, "what json.Unmarshal decodes is decoded")
		assert.Equal(t, want.Data[secret.TLSCertKey], s.Data[secret.TLSCertKey])
		assert.Equal(t, want.Data[secret.TLSKeyKey], s.Data[secret.TLSKeyKey])
	})
}
