package certflow

import (
	"context"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkReconcilerStoreGet prices the Manager's Store wrappers (the
// own-writes recorder, the start-up list, the metrics timer) on a
// reconciler's Get against the bare memory store's.
func BenchmarkReconcilerStoreGet(b *testing.B) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o"}}
	if err := st.Create(ctx, o); err != nil {
		b.Fatal(err)
	}
	ref := meta.RefOf(o)
	vctx := reconciling(m.listed.visit(ctx), ref)
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = st.Get(vctx, ref, &order.Order{})
		}
	})
	b.Run("wrapped", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = m.deps.Store.Get(vctx, ref, &order.Order{})
		}
	})
}
