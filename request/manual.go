package request

import (
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/meta"
)

// ErrAlreadyDecided is returned by Approve and Deny for a request that is
// approved or denied already: a decision is final, as in cert-manager.
var ErrAlreadyDecided = errors.New("request: already approved or denied")

// Approve records a person's approval of req, as `cmctl approve` does: the
// Approved condition with reason and message. The reconciler then goes on
// to sign it without asking the Approver. It returns ErrAlreadyDecided if
// req is approved or denied.
func Approve(req *CertificateRequest, reason, message string, now time.Time) error {
	if err := undecided(req); err != nil {
		return err
	}
	req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionApproved, Status: meta.ConditionTrue,
		Reason: meta.Reason(reason), Message: message, LastTransitionTime: now})
	return nil
}

// Deny records a person's refusal of req, as `cmctl deny` does: the Denied
// condition with reason and message, and req fails for good (Ready=False,
// reason Denied, a failure time), so the Certificate that made it counts a
// failed issuance. It returns ErrAlreadyDecided if req is approved or
// denied.
func Deny(req *CertificateRequest, reason, message string, now time.Time) error {
	if err := undecided(req); err != nil {
		return err
	}
	req.Status.Conditions.Set(meta.Condition{Type: meta.ConditionDenied, Status: meta.ConditionTrue,
		Reason: meta.Reason(reason), Message: message, LastTransitionTime: now})
	setReady(req, meta.ConditionFalse, ReasonDenied, "The CertificateRequest was denied by an approval controller: "+message, now)
	req.Status.FailureTime = &now
	return nil
}

func undecided(req *CertificateRequest) error {
	for _, t := range []meta.ConditionType{meta.ConditionApproved, meta.ConditionDenied} {
		if req.Status.Conditions.IsTrue(t) {
			return fmt.Errorf("%w: %s/%s is %s", ErrAlreadyDecided, req.ObjectMeta.Namespace, req.ObjectMeta.Name, t)
		}
	}
	return nil
}
