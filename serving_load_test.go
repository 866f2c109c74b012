package certflow

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

func TestDecodeSecrets(t *testing.T) {
	for _, n := range []int{0, 3, 5 * decodePerWorker} {
		items := make([]store.Raw, n)
		for i := range items {
			ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: fmt.Sprintf("s%d", i)}
			data, err := json.Marshal(&secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name},
				Data: map[string][]byte{secret.TLSCertKey: []byte(ref.Name), secret.TLSKeyKey: []byte("key"), secret.CACertKey: []byte("ca")}})
			require.NoError(t, err)
			switch i % 3 {
			case 1:
				ref.Kind = meta.KindCertificate
			case 2:
				data = []byte("{")
			}
			items[i] = store.Raw{Ref: ref, Data: data}
		}
		got := decodeSecrets(items, nil)
		require.Len(t, got, n)
		for i, s := range got {
			if i%3 != 0 {
				assert.Nil(t, s, "item %d: another kind or undecodable", i)
				continue
			}
			require.NotNil(t, s, "item %d", i)
			assert.Equal(t, items[i].Ref.Name, s.ObjectMeta.Name)
			assert.Equal(t, []byte(items[i].Ref.Name), s.Data[secret.TLSCertKey])
			assert.Equal(t, []byte("key"), s.Data[secret.TLSKeyKey])
			assert.NotContains(t, s.Data, secret.CACertKey, "serving reads the certificate and key only")
		}
	}
}
