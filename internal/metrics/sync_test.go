package metrics

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/store"
)

// scripted returns the next error of errs on each call, or panics on a
// nil entry marked by panicNext.
type scripted struct {
	errs  []error
	panic bool
}

func (s *scripted) Reconcile(context.Context, meta.Ref) (time.Time, error) {
	if s.panic {
		panic("boom")
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	return time.Time{}, err
}

func TestReconcilers_CountSyncsAndErrorsAsCertManager(t *testing.T) {
	r := newRig(t)
	certs := &scripted{errs: []error{nil, errors.New("CA down"), fmt.Errorf("write: %w", store.ErrConflict), reconcile.ErrTerminal}}
	orders := &scripted{panic: true}
	rs := r.m.Reconcilers(map[meta.Kind]reconcile.Reconciler{
		meta.KindCertificate: certs, meta.KindOrder: orders, meta.KindClusterIssuer: &scripted{},
	})
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "www"}
	for range 4 {
		_, _ = rs[meta.KindCertificate].Reconcile(r.ctx, ref)
	}
	assert.Panics(t, func() { _, _ = rs[meta.KindOrder].Reconcile(r.ctx, ref) })

	got := gather(t, r.m)
	calls := got["certmanager_controller_sync_call_count"]
	assert.Equal(t, dto.MetricType_UNTYPED, calls.typ)
	assert.Equal(t, map[string]float64{`{controller="certificates"}`: 4, `{controller="orders"}`: 1, `{controller="clusterissuers"}`: 0}, calls.samples)
	assert.Equal(t, map[string]float64{`{controller="certificates"}`: 2, `{controller="orders"}`: 1, `{controller="clusterissuers"}`: 0},
		got["certmanager_controller_sync_error_count"].samples, "a conflict is not an error; a panic is")
	assert.Equal(t, map[string]float64{`{controller="certificates"}`: 4, `{controller="orders"}`: 1, `{controller="clusterissuers"}`: 0},
		got["certflow_controller_sync_duration_seconds"].samples)
}

func TestReconcilers_AStoppingManagerIsNoError(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(r.ctx)
	cancel()
	rs := r.m.Reconcilers(map[meta.Kind]reconcile.Reconciler{meta.KindChallenge: &scripted{errs: []error{context.Canceled}}})
	_, err := rs[meta.KindChallenge].Reconcile(ctx, meta.Ref{Kind: meta.KindChallenge, Name: "c"})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0.0, gather(t, r.m)["certmanager_controller_sync_error_count"].samples[`{controller="challenges"}`])
}

func TestControllerName_EveryKindHasCertManagersName(t *testing.T) {
	for k, want := range map[meta.Kind]string{
		meta.KindIssuer: "issuers", meta.KindClusterIssuer: "clusterissuers", meta.KindCertificate: "certificates",
		meta.KindCertificateRequest: "certificaterequests", meta.KindOrder: "orders", meta.KindChallenge: "challenges",
		meta.KindSecret: "secrets",
	} {
		assert.Equal(t, want, controllerName(k), k)
	}
}
