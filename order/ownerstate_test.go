package order_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// getTypes records the Go type each Get decodes into.
type getTypes struct {
	store.Reader
	types []string
}

func (g *getTypes) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	g.types = append(g.types, fmt.Sprintf("%T", into))
	return g.Reader.Get(ctx, ref, into)
}

// OwnerState, the one way a Challenge reads its Order's state, reads the
// Order into its own type (which the memory store copies instead of
// encoding it to JSON and decoding that again) and says when it is gone.
func TestOwnerStateReadsTheOrderIntoItsOwnType(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o1"}, Status: order.Status{State: order.StateErrored}}
	require.NoError(t, st.Create(ctx, o))
	r := &getTypes{Reader: st}

	state, err := order.OwnerState(ctx, r, meta.RefOf(o))
	require.NoError(t, err)
	assert.Equal(t, order.StateErrored, state)
	assert.True(t, state.IsFinal())
	assert.Equal(t, []string{fmt.Sprintf("%T", &order.Order{})}, r.types)

	_, err = order.OwnerState(ctx, r, meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "gone"})
	require.ErrorIs(t, err, store.ErrNotFound)
}
