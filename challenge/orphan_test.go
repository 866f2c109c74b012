package challenge

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

func TestOrphaned(t *testing.T) {
	raw := func(st Status) store.Raw {
		b, err := json.Marshal(&Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "c"}, Status: st})
		require.NoError(t, err)
		return store.Raw{Ref: meta.Ref{Kind: meta.KindChallenge, Namespace: "ns", Name: "c"}, Data: b}
	}
	tests := []struct {
		name string
		raw  store.Raw
		want reconcile.Orphan
	}{
		{"never presented goes at once", raw(Status{}), reconcile.OrphanCollect},
		{"processing cleans up first", raw(Status{Processing: true}), reconcile.OrphanFinish},
		{"presented cleans up first", raw(Status{Presented: true}), reconcile.OrphanFinish},
		{"cleaned up goes", raw(Status{Presented: true, CleanedUp: true}), reconcile.OrphanCollect},
		{"unreadable is kept", store.Raw{Data: []byte("{")}, reconcile.OrphanKeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, Orphaned(tt.raw)) })
	}
}
