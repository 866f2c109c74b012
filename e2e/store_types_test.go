package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// typeRecordingStore records the Go type each Get of a kind decodes into.
type typeRecordingStore struct {
	store.Store
	mu    sync.Mutex
	types map[meta.Kind]map[string]int
}

func (s *typeRecordingStore) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	s.mu.Lock()
	if s.types[ref.Kind] == nil {
		s.types[ref.Kind] = map[string]int{}
	}
	s.types[ref.Kind][fmt.Sprintf("%T", into)]++
	s.mu.Unlock()
	return s.Store.Get(ctx, ref, into)
}

func (s *typeRecordingStore) typesOf(k meta.Kind) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for t, n := range s.types[k] {
		out[t] = n
	}
	return out
}

// An issuance reads the Orders it reads into their own type (order.Order):
// the memory store answers such a Get by copying what it holds, and any
// other type by encoding the object to JSON and decoding it again, at
// several times the CPU. A Challenge reads its Order's state once per
// certificate. Collecting the deleted Challenge deletes its Events at the
// versions the Manager already knows, without reading them (gc_events.go).
func TestACME_IssuanceReadsOrdersIntoTheirOwnTypeAndNoEvent(t *testing.T) {
	st := &typeRecordingStore{Store: memory.New(), types: map[meta.Kind]map[string]int{}}
	h := startACME(t, acmeSetup{store: st})
	iss := h.acme.Issuer("default", "acme")
	require.NoError(t, h.m.Apply(h.ctx, iss))
	waitFor(h, meta.RefOf(iss), "issuer Ready",
		func(i *issuer.Issuer) bool { return i.Status.Conditions.IsTrue(meta.ConditionReady) })
	h.issue(nil, testrig.ACMECertificate("default", "typed", "acme", "typed.example.test"))
	// The Challenge is deleted once its Order is valid, and its Events with it.
	h.awaitStore("the Challenge and its Events collected", func() bool {
		res, err := st.List(h.ctx, store.ListOptions{Namespace: "default"})
		require.NoError(t, err)
		for _, raw := range res.Items {
			if raw.Ref.Kind == meta.KindChallenge {
				return false
			}
			if raw.Ref.Kind == meta.KindEvent {
				m, err := meta.ObjectMetaOf(raw.Data)
				require.NoError(t, err)
				for _, o := range m.OwnerRefs {
					if o.Kind == meta.KindChallenge {
						return false
					}
				}
			}
		}
		return true
	})

	orders := st.typesOf(meta.KindOrder)
	assert.Equal(t, map[string]int{fmt.Sprintf("%T", &order.Order{}): sum(orders)}, orders, "every Order read")
	assert.Empty(t, st.typesOf(meta.KindEvent), "the Challenge's Events are collected unread")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
