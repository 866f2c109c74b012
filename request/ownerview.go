package request

import (
	"encoding/json"
	"hash/fnv"

	"github.com/certflow/certflow/meta"
)

// CertificateView is the reconcile.OwnerView of a CertificateRequest for
// its Certificate: all of the request but its conditions while it is not
// final. The Certificate decides on a pending request by its spec, labels
// and annotations only (does it match the spec and the next key; was it
// rejected); its conditions matter once they make it final (issued,
// failed, denied, invalid), and a final request has no view: its changes
// always wake, and nothing is remembered about it. So approval, the Order
// being created, and each step of the Order mirrored in the Ready message
// (as cert-manager does) do not wake the Certificate to decide again to
// wait.
func CertificateView(obj meta.Object) any {
	req, ok := obj.(*CertificateRequest)
	if !ok || IsFinal(req) {
		return nil
	}
	st := req.Status
	st.Conditions = nil
	b, err := json.Marshal(struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		Status      Status            `json:"status"`
	}{req.ObjectMeta.Labels, req.ObjectMeta.Annotations, st})
	if err != nil {
		return nil
	}
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}
