package request

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
)

// TestCertificateView_PendingProgressIsNotNews: what a pending request
// records on its way (approved, its Order created, each step of the Order
// in its Ready message and transition time) leaves the view as it was;
// what the Certificate decides on (labels, annotations, the rest of the
// status) changes it; a final request has none.
func TestCertificateView_PendingProgressIsNotNews(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(mutate func(r *CertificateRequest)) any {
		r := &CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r-1"}}
		if mutate != nil {
			mutate(r)
		}
		return CertificateView(r)
	}
	created := at(nil)
	assert.NotNil(t, created)
	approved := func(r *CertificateRequest) {
		r.Status.Conditions.Set(meta.Condition{Type: meta.ConditionApproved, Status: meta.ConditionTrue, Reason: ReasonApproved})
	}
	for name, mutate := range map[string]func(r *CertificateRequest){
		"approved": approved,
		"order created": func(r *CertificateRequest) {
			approved(r)
			setReady(r, meta.ConditionFalse, ReasonOrderCreated, "Created Order", t0)
		},
		"the Order's next step": func(r *CertificateRequest) {
			approved(r)
			setReady(r, meta.ConditionFalse, ReasonPending, `Waiting on certificate issuance from order ns/r-1-abc: "ready"`, t0.Add(time.Second))
		},
		"issuer not ready": func(r *CertificateRequest) {
			approved(r)
			setReady(r, meta.ConditionFalse, ReasonIssuerNotReady, "not ready", t0)
		},
	} {
		assert.Equal(t, created, at(mutate), name)
	}
	for name, mutate := range map[string]func(r *CertificateRequest){
		"annotated":    func(r *CertificateRequest) { r.ObjectMeta.Annotations = map[string]string{"a": "b"} },
		"labelled":     func(r *CertificateRequest) { r.ObjectMeta.Labels = map[string]string{"a": "b"} },
		"failure time": func(r *CertificateRequest) { r.Status.FailureTime = &t0 },
		"a chain":      func(r *CertificateRequest) { r.Status.Certificate = []byte("chain") },
	} {
		assert.NotEqual(t, created, at(mutate), name)
	}
	assert.Nil(t, at(func(r *CertificateRequest) { setReady(r, meta.ConditionTrue, ReasonIssued, "issued", t0) }), "final")
	assert.Nil(t, at(func(r *CertificateRequest) { setReady(r, meta.ConditionFalse, ReasonFailed, "failed", t0) }), "failed: final")
	assert.Nil(t, at(func(r *CertificateRequest) {
		r.Status.Conditions.Set(meta.Condition{Type: meta.ConditionDenied, Status: meta.ConditionTrue, Reason: ReasonDenied})
	}), "denied: final")
	assert.Nil(t, CertificateView(nil), "not a request")
}
