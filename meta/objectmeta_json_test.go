package meta_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

func TestObjectMetaOf(t *testing.T) {
	created := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	om := meta.ObjectMeta{Namespace: "ns", Name: "a", UID: "u", ResourceVersion: "7", Generation: 2,
		Labels: map[string]string{"l": "v"}, Annotations: map[string]string{"a": "b"},
		OwnerRefs:    []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}},
		CreationTime: &created}
	ev := meta.Event{ObjectMeta: om, Object: meta.Ref{Kind: meta.KindCertificate, Namespace: "ns", Name: "c"}, Message: "m"}
	data, err := json.Marshal(ev)
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		data    string
		want    meta.ObjectMeta
		wantErr bool
	}{
		"an object as stored":         {data: string(data), want: om},
		"members before the metadata": {data: `{"kind":"X","spec":{"a":[1,{"b":"}"}]},"metadata":{"name":"n"},"data":{}}`, want: meta.ObjectMeta{Name: "n"}},
		// What follows is not read: decoding the object reports it.
		"damage after the metadata":  {data: `{"metadata":{"name":"n"},"data":{"x":`, want: meta.ObjectMeta{Name: "n"}},
		"no metadata":                {data: `{"kind":"X","spec":{}}`, wantErr: true},
		"not an object":              {data: `["metadata"]`, wantErr: true},
		"damaged metadata":           {data: `{"metadata":{"name":`, wantErr: true},
		"metadata of the wrong type": {data: `{"metadata":"n"}`, wantErr: true},
		"empty":                      {data: ``, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := meta.ObjectMetaOf([]byte(tc.data))
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// Decoding the metadata alone agrees with decoding the whole object.
func FuzzObjectMetaOf(f *testing.F) {
	f.Add(`{"metadata":{"name":"n","labels":{"a":"b"}},"data":{"k":"dg=="}}`)
	f.Add(`{"kind":"Secret","metadata":{"namespace":"x","ownerReferences":[{"kind":"Certificate","name":"c"}]}}`)
	f.Fuzz(func(t *testing.T, data string) {
		var whole struct {
			Metadata meta.ObjectMeta `json:"metadata"`
		}
		if json.Unmarshal([]byte(data), &whole) != nil || strings.Count(strings.ToLower(data), `"metadata"`) != 1 {
			return // invalid, or a member named twice (the whole decode keeps the last)
		}
		got, err := meta.ObjectMetaOf([]byte(data))
		if err != nil {
			return // a duplicate or differently cased member: the whole decode is more lenient
		}
		assert.Equal(t, whole.Metadata, got)
	})
}

// BenchmarkObjectMetaOf reads the metadata of a Secret as stored (a key and
// a chain after it), beside decoding the whole object for it (the baseline).
func BenchmarkObjectMetaOf(b *testing.B) {
	chain := strings.Repeat("MIIBszCCAVmgAwIBAgIRAKn", 120)
	data := []byte(`{"kind":"Secret","metadata":{"namespace":"ns","name":"c0-tls","uid":"c25ae985","resourceVersion":"5",` +
		`"annotations":{"cert-manager.io/alt-names":"c0.scale.test","cert-manager.io/certificate-name":"c0"},` +
		`"labels":{"controller.cert-manager.io/fao":"true"},"ownerReferences":[{"kind":"Certificate","namespace":"ns","name":"c0"}]},` +
		`"type":"kubernetes.io/tls","data":{"tls.crt":"` + chain + `","tls.key":"` + chain[:300] + `"}}`)
	b.Run("metadata only", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := meta.ObjectMetaOf(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline whole object", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var v struct {
				Metadata meta.ObjectMeta `json:"metadata"`
			}
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
