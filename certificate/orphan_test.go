package certificate

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

func TestOrphanedSecret(t *testing.T) {
	raw := func(labels map[string]string) store.Raw {
		b, err := json.Marshal(&secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "s", Labels: labels}})
		require.NoError(t, err)
		return store.Raw{Ref: meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "s"}, Data: b}
	}
	tests := []struct {
		name string
		raw  store.Raw
		want reconcile.Orphan
	}{
		{"TLS Secret outlives its Certificate", raw(nil), reconcile.OrphanKeep},
		{"next private key goes", raw(map[string]string{LabelNextPrivateKey: "true"}), reconcile.OrphanCollect},
		{"unreadable is kept", store.Raw{Data: []byte("{")}, reconcile.OrphanKeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, OrphanedSecret(tt.raw)) })
	}
}
