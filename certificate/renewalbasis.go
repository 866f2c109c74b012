package certificate

// RenewalBasis says what chose a certificate's renewal time.
type RenewalBasis string

// Renewal bases, in the order they are considered.
const (
	// RenewalBasisARI: drawn inside the CA's suggested renewal window
	// (RFC 9773).
	RenewalBasisARI RenewalBasis = "ARIWindow"
	// RenewalBasisRenewBefore: spec.renewBefore before expiry.
	RenewalBasisRenewBefore RenewalBasis = "RenewBefore"
	// RenewalBasisRenewBeforePercentage: spec.renewBeforePercentage of the
	// lifetime before expiry.
	RenewalBasisRenewBeforePercentage RenewalBasis = "RenewBeforePercentage"
	// RenewalBasisShortLivedHalfLife: half the lifetime, for a short-lived
	// leaf (IsShortLived).
	RenewalBasisShortLivedHalfLife RenewalBasis = "ShortLivedHalfLife"
	// RenewalBasisDefault: cert-manager's default, two thirds into the
	// lifetime.
	RenewalBasisDefault RenewalBasis = "Default"
)

// Explain says in a sentence why a renewal time of this basis was chosen.
func (b RenewalBasis) Explain() string {
	switch b {
	case RenewalBasisARI:
		return "drawn inside the renewal window the CA suggested (ACME Renewal Information)"
	case RenewalBasisRenewBefore:
		return "spec.renewBefore before expiry"
	case RenewalBasisRenewBeforePercentage:
		return "spec.renewBeforePercentage of the lifetime before expiry"
	case RenewalBasisShortLivedHalfLife:
		return "half the lifetime: a short-lived certificate (valid under 10 days) with no CA renewal window and no renewBefore"
	case RenewalBasisDefault:
		return "two thirds into the lifetime (the default)"
	}
	return ""
}

// RenewalBasisOf says what chose c's status.renewalTime, read from its
// status alone (so that Status and the command can say it without the
// leaf): the CA's window when the time is the one drawn in it, else what
// ScheduleRenewal bases notBefore..notAfter on when it gives that time.
// Empty before the first issuance, and when the spec changed since the
// time was chosen (the next reconcile chooses again).
func RenewalBasisOf(c *Certificate) RenewalBasis {
	st := &c.Status
	if st.RenewalTime == nil || st.NotBefore == nil || st.NotAfter == nil {
		return ""
	}
	if st.ACME != nil && st.ACME.ARI != nil && st.ACME.ARI.SelectedTime != nil && st.ACME.ARI.SelectedTime.Equal(*st.RenewalTime) {
		return RenewalBasisARI
	}
	at, basis := ScheduleRenewal(*st.NotBefore, *st.NotAfter, &c.Spec, JitterKey(c))
	if !at.Equal(*st.RenewalTime) {
		return ""
	}
	return basis
}
