package certflow

import (
	"context"
	"testing"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store/memory"
)

// nopReconciler decides nothing: a visit of it costs only the Manager's
// machinery around a reconcile.
type nopReconciler struct{}

func (nopReconciler) Reconcile(context.Context, meta.Ref) (time.Time, error) { return time.Time{}, nil }

// BenchmarkVisitMachinery prices what the Manager does around one
// reconcile (the owner check, the contexts, the metrics, the queue's
// bookkeeping) for an owned object whose owner the watch has shown.
func BenchmarkVisitMachinery(b *testing.B) {
	ctx := context.Background()
	m, err := New(Config{Store: memory.New()})
	if err != nil {
		b.Fatal(err)
	}
	m.listed.end()
	m.reconcilers = m.metrics.Reconcilers(map[meta.Kind]reconcile.Reconciler{meta.KindOrder: nopReconciler{}})
	owner := meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: "r"}
	ref := meta.Ref{Kind: meta.KindOrder, Namespace: "ns", Name: "o"}
	m.owners.set(ref, []meta.Ref{owner}, 2)
	m.owners.seenPresent(owner)
	if !m.owners.knownPresent(owner) {
		b.Fatal("owner not shown present")
	}
	b.ReportAllocs()
	for b.Loop() {
		m.queue.Add(ref)
		got, _ := m.queue.Get(ctx)
		m.visit(ctx, got)
		m.queue.Done(got)
	}
}
