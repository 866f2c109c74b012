package request

import (
	"encoding/json"
	"hash/fnv"
	"time"

	"github.com/certflow/certflow/meta"
)

// CertificateView is the reconcile.OwnerView of a CertificateRequest for
// its Certificate: all of the request but the progress a pending request
// reports in its Ready message and transition time (each step of its
// Order, mirrored as cert-manager does), which no decision reads. So a
// request's next step of waiting does not wake its Certificate, and
// anything else it records (approved, order created, issued, failed, a
// new annotation) does. A final request has no view: its rare later
// changes always wake, and nothing is remembered about it.
func CertificateView(obj meta.Object) any {
	req, ok := obj.(*CertificateRequest)
	if !ok || IsFinal(req) {
		return nil
	}
	c := copyRequest(req)
	for i, cond := range c.Status.Conditions {
		if cond.Type == meta.ConditionReady && cond.Reason == ReasonPending {
			c.Status.Conditions[i].Message, c.Status.Conditions[i].LastTransitionTime = "", time.Time{}
		}
	}
	b, err := json.Marshal(struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		Status      Status            `json:"status"`
	}{c.ObjectMeta.Labels, c.ObjectMeta.Annotations, c.Status})
	if err != nil {
		return nil
	}
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}
