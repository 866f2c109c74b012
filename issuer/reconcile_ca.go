package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// checkCA reports whether the CA Secret holds a usable key pair. The
// Manager wakes the issuer when that Secret changes; a problem is also
// retried with backoff, in case the change came while no Manager ran. A good
// pair is looked at again when its certificate expires.
func (r *Reconciler) checkCA(ctx context.Context, obj Object, now time.Time) outcome {
	ref := meta.Ref{
		Kind:      meta.KindSecret,
		Namespace: r.deps.SecretNamespace(meta.RefOf(obj)),
		Name:      obj.IssuerSpec().CA.SecretName,
	}
	var sec secret.Secret
	if err := r.deps.Store.Get(ctx, ref, &sec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notReady(obj, now, ReasonErrGetKeyPair,
				fmt.Sprintf("Error getting keypair for CA issuer: Secret %q not found in namespace %q", ref.Name, ref.Namespace))
		}
		return outcome{err: fmt.Errorf("issuer: reconcile: read %s: %w", ref, err)}
	}
	kp := parseCAKeyPair(&sec)
	if p := kp.problemAt(now); p != "" {
		return notReady(obj, now, ReasonErrInvalidKeyPair,
			fmt.Sprintf("Error validating keypair in Secret %q: %s", ref.Name, p))
	}
	out := ready(ReasonKeyPairVerified, "Signing CA verified")
	out.next = kp.cert.NotAfter
	return out
}
