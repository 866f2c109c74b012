package file

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certflow/certflow/meta"
)

// BenchmarkDecodeRecord decodes an object file shaped like a stored TLS
// Secret (a chain and a key after the metadata), beside json.Unmarshal of
// the same record (the baseline).
func BenchmarkDecodeRecord(b *testing.B) {
	object, _ := json.Marshal(map[string]any{"kind": "Secret", "metadata": map[string]string{"namespace": "ns", "name": "c0-tls"},
		"type": "kubernetes.io/tls", "data": map[string]string{"tls.crt": strings.Repeat("MIIBszCCAVmgAwIBAgIRAKn", 120), "tls.key": strings.Repeat("MIIE", 60)}})
	data, err := json.Marshal(record{Kind: meta.KindSecret, Metadata: meta.ObjectMeta{Namespace: "ns", Name: "c0-tls", UID: "c25ae985-2f61",
		ResourceVersion: "5", Annotations: map[string]string{"cert-manager.io/alt-names": "c0.scale.test"},
		OwnerRefs: []meta.Ref{{Kind: meta.KindCertificate, Namespace: "ns", Name: "c0"}}}, Object: object})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("stored layout", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var r record
			if err := decodeRecord(data, &r, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stored layout, for a List", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var r record
			if err := decodeRecord(data, &r, &metaWanted{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var r record
			if err := json.Unmarshal(data, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
