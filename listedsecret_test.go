package certflow

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// A Secret as the Manager stores it: metadata, type, and base64 data.
const storedSecretJSON = `{"metadata":{"namespace":"ns","name":"web-tls","uid":"u-1","resourceVersion":"7","labels":{"a":"b"},` +
	`"annotations":{"cert-manager.io/certificate-name":"web"},"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"web"}],` +
	`"creationTimestamp":"2026-12-03T18:05:24.547745492Z"},"type":"kubernetes.io/tls",` +
	`"data":{"ca.crt":"Y2E=","tls.crt":"Y3J0","tls.key":"a2V5"}}`

func TestQuickSecret_DecodesWhatJSONWould(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		quick      bool // decoded the quick way, not left to encoding/json
	}{
		{"as stored", storedSecretJSON, true},
		{"with its kind", `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"tls.crt":"Y3J0"}}`, true},
		{"empty", `{}`, true},
		{"no data", `{"metadata":{"name":"s"}}`, true},
		{"null data", `{"data":null}`, true},
		{"empty data", `{"data":{}}`, true},
		{"null value", `{"data":{"tls.crt":null,"tls.key":"a2V5"}}`, true},
		{"empty value", `{"data":{"tls.crt":"","tls.key":"a2V5"}}`, true},
		{"the last of a repeated data key", `{"data":{"tls.crt":"eA==","tls.crt":"Y3J0"}}`, true},
		{"white space", " { \"data\" : { \"tls.crt\" : \"Y3J0\" } } ", true},
		{"an unknown member", `{"stringData":{"x":"y"},"data":{"tls.crt":"Y3J0"}}`, true},
		{"null metadata", `{"metadata":null}`, true},
		{"a key cased otherwise", `{"Data":{"tls.crt":"Y3J0"}}`, false},
		{"a field name cased otherwise", `{"METADATA":{"name":"s"}}`, false},
		{"an escaped key", `{"d\u0061ta":{"tls.crt":"Y3J0"}}`, false},
		{"an escaped data key", `{"data":{"tls\u002ecrt":"Y3J0"}}`, false},
		{"an escaped value", `{"data":{"tls.crt":"Y2E\u003d"}}`, false},
		{"data twice", `{"data":{"tls.crt":"Y3J0"},"data":{"tls.key":"a2V5"}}`, false},
		{"metadata twice", `{"metadata":{"name":"a","labels":{"x":"1"}},"metadata":{"labels":{"y":"2"}}}`, false},
		{"a data key not UTF-8", "{\"data\":{\"tls\xff\":\"Y3J0\"}}", false},
		{"null", `null`, false},
		{"not an object", `[]`, false},
		{"not base64", `{"data":{"tls.crt":"!!"}}`, false},
		{"not a string", `{"data":{"tls.crt":5}}`, false},
		{"data not an object", `{"data":"x"}`, false},
		{"type not a string", `{"type":5}`, false},
		{"metadata not an object", `{"metadata":"x"}`, false},
		{"not JSON", `{"data":`, false},
		{"not JSON after the members", `{"data":{}} x`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s secret.Secret
			assert.Equal(t, tc.quick, quickSecret([]byte(tc.data), &s), "decoded the quick way")
			assertDecodedAsJSON(t, []byte(tc.data))
		})
	}
}

// assertDecodedAsJSON checks that decodeListed decodes data as
// json.Unmarshal does: the same Secret, or an error where it fails.
func assertDecodedAsJSON(t *testing.T, data []byte) {
	t.Helper()
	var want secret.Secret
	wantErr := json.Unmarshal(data, &want)
	got := &secret.Secret{Type: "left over", Data: map[string][]byte{"left": nil}}
	err := decodeListed(store.Raw{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}, Data: data}, got)
	if wantErr != nil {
		require.Error(t, err)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, want, *got)
}

func FuzzQuickSecret(f *testing.F) {
	f.Add([]byte(storedSecretJSON))
	f.Add([]byte(`{"DATA":{"tls.key":"a2V5"},"data":{"tls.crt":"Y3J0"}}`))
	f.Add([]byte(`{"data":{"tls.crt":"Y3J0\n"}}`))
	f.Add([]byte(`{"kind":"Secret","type":null,"metadata":{"name":"s","annotations":{}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		assertDecodedAsJSON(t, data)
	})
}

// A listed Secret is decoded the quick way, which makes fewer allocations
// than encoding/json (whose scanner states, among others, it does not need).
func TestDecodeListed_SecretTakesTheQuickWay(t *testing.T) {
	raw := store.Raw{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "web-tls"}, Data: []byte(storedSecretJSON)}
	viaJSON := testing.AllocsPerRun(20, func() {
		var s secret.Secret
		if err := json.Unmarshal(raw.Data, &s); err != nil {
			t.Fatal(err)
		}
	})
	listed := testing.AllocsPerRun(20, func() {
		if err := decodeListed(raw, &secret.Secret{}); err != nil {
			t.Fatal(err)
		}
	})
	assert.Less(t, listed, viaJSON, "decodeListed made %v allocations, encoding/json %v", listed, viaJSON)
}

// BenchmarkDecodeListedSecret prices decoding a Secret of the scale
// rig's store (set CERTFLOW_SECRET_JSON to one), else a small one.
func BenchmarkDecodeListedSecret(b *testing.B) {
	data := []byte(storedSecretJSON)
	if p := os.Getenv("CERTFLOW_SECRET_JSON"); p != "" {
		var err error
		if data, err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	}
	raw := store.Raw{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}, Data: data}
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s secret.Secret
			if err := raw.Decode(&s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("listed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := decodeListed(raw, &secret.Secret{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
