package certflow

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
)

// DeactivateAccount deactivates the ACME account of the Issuer or
// ClusterIssuer named ref at its CA (RFC 8555 §7.3.6); the CA refuses
// every later request of that account. The issuer then reports Ready=False
// with reason ACMEAccountDeactivated, and registers no new account by
// itself: replacing or deleting its account key Secret asks for one.
// Certificates already issued stay valid; revoke them first if needed.
//
// The intent is recorded on the issuer before the CA is asked, so a call
// that failed (or a process that died) is finished by calling again.
// Errors: issuer.ErrNoAccount (no registered account), the CA's refusal
// (an *acme.Error), Store errors.
func (m *Manager) DeactivateAccount(ctx context.Context, ref meta.Ref) error {
	if ref.Kind != meta.KindIssuer && ref.Kind != meta.KindClusterIssuer {
		return fmt.Errorf("certflow: deactivate account: %s is not an issuer", ref)
	}
	if ref.Kind.ClusterScoped() {
		ref.Namespace = ""
	}
	if err := m.wiring.issuers.DeactivateAccount(ctx, ref); err != nil {
		return err
	}
	if iss, err := issuer.Get(ctx, m.cfg.Store, ref); err == nil {
		m.events.recordNow(ctx, iss, meta.EventNormal, issuer.ReasonACMEAccountDeactivated,
			"The ACME account "+iss.IssuerStatus().ACME.URI+" was deactivated at the CA")
	}
	return nil
}
