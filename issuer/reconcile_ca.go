package issuer

import (
	"fmt"

	"github.com/certflow/certflow/meta"
)

// decideCA reports whether the CA Secret holds a usable key pair. The
// Manager wakes the issuer when that Secret changes; a problem is also
// retried with backoff, in case the change came while no Manager ran. A good
// pair is looked at again when its certificate expires.
func decideCA(d *decision, obj Object, s Snapshot) {
	name := obj.IssuerSpec().CA.SecretName
	if s.CASecret == nil {
		notReady(&d.plan, obj, ReasonErrGetKeyPair,
			fmt.Sprintf("Error getting keypair for CA issuer: Secret %q not found in namespace %q", name, s.SecretNamespace), s.Now)
		return
	}
	kp := parseCAKeyPair(s.CASecret)
	if p := kp.problemAt(s.Now); p != "" {
		notReady(&d.plan, obj, ReasonErrInvalidKeyPair, fmt.Sprintf("Error validating keypair in Secret %q: %s", name, p), s.Now)
		return
	}
	setReady(&d.plan, obj, meta.ConditionTrue, ReasonKeyPairVerified, "Signing CA verified", s.Now)
	d.plan.Next = kp.cert.NotAfter
}
