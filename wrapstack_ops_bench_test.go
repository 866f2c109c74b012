package certflow

import (
	"context"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// BenchmarkWrapStackOps prices each Store call a reconciler makes on the
// issuance path through the Manager's wrappers (own writes, owner views,
// the start-up list, metrics) beside the same call on the bare memory
// store, in a visit's context after the start-up list ended.
func BenchmarkWrapStackOps(b *testing.B) {
	ctx := context.Background()
	st := memory.New()
	m, err := New(Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	m.listed.end()
	owner := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "r"}
	if err := st.Create(ctx, &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r"}}); err != nil {
		b.Fatal(err)
	}
	vctx, cancel := context.WithTimeout(reconciling(ctx, owner), 1<<40)
	defer cancel()
	vctx = m.listed.visit(vctx)
	o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o", OwnerRefs: []meta.Ref{owner}}}
	if err := st.Create(ctx, o); err != nil {
		b.Fatal(err)
	}
	ref := meta.RefOf(o)
	newOrder := func() meta.Object { return &order.Order{} }
	for _, c := range []struct {
		name string
		s    store.Store
	}{{"bare", st}, {"wrapped", m.deps.Store}} {
		b.Run("get/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.s.Get(vctx, ref, &order.Order{})
			}
		})
		b.Run("getmeta/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = store.GetMetaOf(vctx, c.s, ref, newOrder)
			}
		})
		b.Run("update/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.s.Update(vctx, o); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("createdelete/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			ch := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "child", OwnerRefs: []meta.Ref{owner}}}
			for b.Loop() {
				ch.ObjectMeta.ResourceVersion = ""
				if err := c.s.Create(vctx, ch); err != nil {
					b.Fatal(err)
				}
				if err := c.s.Delete(vctx, meta.RefOf(ch), ch.ObjectMeta.ResourceVersion); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
