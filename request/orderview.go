package request

import (
	"hash/fnv"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
)

// orderView is what a request decides on about its Order (decideACME):
// the state and holdup (order.Holdup) it mirrors in its Ready message, the chain it
// copies once the Order is valid, and whether the Order's problem lets
// the Certificate try its next issuer.
type orderView struct {
	State     order.State
	Reason    string
	Chain     uint64 // FNV-1a of the chain; 0 when there is none
	ChainLen  int
	Fallback  meta.Reason
	FBMessage string
	FBRetryAt int64 // Unix nanoseconds; 0 when unknown
}

// OwnedOrderView is the reconcile.OwnerView of an Order for its
// CertificateRequest. The Order records steps the request does not mirror
// (the authorizations it read, its Challenges under way, a poll that found
// nothing new, a finalize under way while its state stays as it was): a change that
// leaves the view as it was cannot change the request's decision, so the
// Manager does not wake the request to decide it again.
func OwnedOrderView(obj meta.Object) any {
	o, ok := obj.(*order.Order)
	if !ok {
		return nil
	}
	v := orderView{State: o.Status.State, Reason: order.Holdup(o), ChainLen: len(o.Status.Certificate)}
	if len(o.Status.Certificate) > 0 {
		h := fnv.New64a()
		_, _ = h.Write(o.Status.Certificate)
		v.Chain = h.Sum64()
	}
	if f, ok := orderFallback(o); ok {
		v.Fallback, v.FBMessage = f.Reason, f.Message
		if f.RetryAt != nil {
			v.FBRetryAt = f.RetryAt.UnixNano()
		}
	}
	return v
}
