package request

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
)

// TestCertificateView_PendingProgressIsNotNews: a pending request's Ready
// message and transition time (its Order's steps) leave the view as it
// was; anything else it records changes it; a final request has none.
func TestCertificateView_PendingProgressIsNotNews(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(mutate func(r *CertificateRequest)) any {
		r := &CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r-1"}}
		r.Status.Conditions.Set(meta.Condition{Type: meta.ConditionApproved, Status: meta.ConditionTrue, Reason: ReasonApproved})
		setReady(r, meta.ConditionFalse, ReasonPending, `Waiting on certificate issuance from order ns/r-1-abc: "pending"`, t0)
		if mutate != nil {
			mutate(r)
		}
		return CertificateView(r)
	}
	pending := at(nil)
	assert.NotNil(t, pending)
	assert.Equal(t, pending, at(func(r *CertificateRequest) {
		setReady(r, meta.ConditionFalse, ReasonPending, `Waiting on certificate issuance from order ns/r-1-abc: "ready"`, t0.Add(time.Second))
	}), "the Order's next step")
	for name, mutate := range map[string]func(r *CertificateRequest){
		"order created": func(r *CertificateRequest) { setReady(r, meta.ConditionFalse, ReasonOrderCreated, "Created Order", t0) },
		"annotated":     func(r *CertificateRequest) { r.ObjectMeta.Annotations = map[string]string{"a": "b"} },
		"labelled":      func(r *CertificateRequest) { r.ObjectMeta.Labels = map[string]string{"a": "b"} },
		"failure time":  func(r *CertificateRequest) { r.Status.FailureTime = &t0 },
		"a chain":       func(r *CertificateRequest) { r.Status.Certificate = []byte("chain") },
	} {
		assert.NotEqual(t, pending, at(mutate), name)
	}
	assert.Nil(t, at(func(r *CertificateRequest) { setReady(r, meta.ConditionTrue, ReasonIssued, "issued", t0) }), "final")
	assert.Nil(t, CertificateView(nil), "not a request")
}
