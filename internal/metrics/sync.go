package metrics

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// controllerName is the controller label of a kind's reconciler: the name
// of the cert-manager controller doing that kind's work. certflow has one
// reconciler for what cert-manager splits over several controllers
// (certificates-trigger, -issuing, …; certificaterequests-issuer-acme, -ca,
// …), so those are reported under the kind's plural.
func controllerName(k meta.Kind) string {
	switch k {
	case meta.KindIssuer:
		return "issuers"
	case meta.KindClusterIssuer:
		return "clusterissuers"
	case meta.KindCertificate:
		return "certificates"
	case meta.KindCertificateRequest:
		return "certificaterequests"
	case meta.KindOrder:
		return "orders"
	case meta.KindChallenge:
		return "challenges"
	}
	return strings.ToLower(string(k)) + "s"
}

// Reconcilers returns rs with every reconciler counted and timed as
// cert-manager counts its controllers' syncs (pkg/controller/controller.go):
// each call, and each failed call except a write conflict (retried at once,
// like cert-manager's optimistic-lock errors) or a stop of the Manager.
func (m *Metrics) Reconcilers(rs map[meta.Kind]reconcile.Reconciler) map[meta.Kind]reconcile.Reconciler {
	out := make(map[meta.Kind]reconcile.Reconciler, len(rs))
	for k, r := range rs {
		name := controllerName(k)
		out[k] = &countedReconciler{inner: r, calls: m.syncCalls.counter(name), errs: m.syncErrors.counter(name),
			duration: m.syncDuration.WithLabelValues(name)}
	}
	return out
}

type countedReconciler struct {
	inner       reconcile.Reconciler
	calls, errs *atomic.Uint64
	duration    prometheus.Observer
}

func (r *countedReconciler) Reconcile(ctx context.Context, ref meta.Ref) (next time.Time, err error) {
	r.calls.Add(1)
	start := since()
	returned := false
	defer func() {
		r.duration.Observe((since() - start).Seconds())
		// A panic is a failed sync too; the Manager recovers it.
		if !returned || (err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(ctx.Err(), context.Canceled)) {
			r.errs.Add(1)
		}
	}()
	next, err = r.inner.Reconcile(ctx, ref)
	returned = true
	return next, err
}
