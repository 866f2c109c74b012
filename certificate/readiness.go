package certificate

import (
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
)

// Readiness (cert-manager's readiness controller): the Ready condition says
// whether the Secret holds a valid certificate for the spec, and its message
// (the Certificate's headline) names the deepest known cause when it does not.

const secretCertificateNameKey = secret.AnnotationCertificateName

// reflectSecret sets Ready from the trigger while an issuance is pending: a
// certificate being renewed stays Ready until its Secret stops being valid.
func (d *decision) reflectSecret(t Trigger) {
	switch t.Reason {
	case ReasonRenewing, ReasonManuallyTrigger:
		return
	}
	d.setReady(meta.ConditionFalse, t.Reason, t.Message)
}

// headline puts the last failure first in a not-Ready certificate's Ready
// message while it waits out its backoff: "Secret does not exist" says
// little, the request's failure (which carries the order's and the CA's
// reason) says what is wrong.
func (d *decision) headline(t Trigger) {
	ready := d.cert.Status.Conditions.Get(meta.ConditionReady)
	issuing := d.cert.Status.Conditions.Get(meta.ConditionIssuing)
	if ready == nil || ready.Status != meta.ConditionFalse || issuing == nil ||
		issuing.Status != meta.ConditionFalse || issuing.Reason != ReasonFailed {
		return
	}
	d.setReady(meta.ConditionFalse, t.Reason, issuing.Message+" ("+t.Message+")")
}

func (d *decision) setIssuing(t Trigger) {
	cert := d.cert
	cert.Status.Conditions.Set(meta.Condition{Type: meta.ConditionIssuing, Status: meta.ConditionTrue,
		Reason: t.Reason, Message: t.Message, LastTransitionTime: d.s.Now, ObservedGeneration: cert.ObjectMeta.Generation})
}

func (d *decision) setReady(status meta.ConditionStatus, reason meta.Reason, msg string) {
	cert := d.cert
	cert.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: status, Reason: reason,
		Message: msg, LastTransitionTime: d.s.Now, ObservedGeneration: cert.ObjectMeta.Generation})
}
