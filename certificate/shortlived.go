package certificate

import "time"

// Short-lived certificates (Let's Encrypt's "shortlived" profile issues
// them for 160 hours) renew at half their lifetime rather than at
// cert-manager's two thirds when no ACME Renewal Information window
// decides: a third of 160 hours leaves two days to recover from a failed
// renewal (a weekend), half leaves more than three. Let's Encrypt's
// guidance is to renew when ARI says; Certbot 4.0, released with the
// profile, renews at half-life every certificate shorter than ten days
// (its changelog), and certflow draws the same line.

// ShortLivedLifetime is the bound of short-lived certificates: a leaf valid
// for less than this renews at half its lifetime, unless the CA's renewal
// window or the spec's renewBefore or renewBeforePercentage decides.
const ShortLivedLifetime = 10 * 24 * time.Hour

// IsShortLived reports whether a leaf valid for lifetime is short-lived.
func IsShortLived(lifetime time.Duration) bool {
	return lifetime > 0 && lifetime < ShortLivedLifetime
}

// ScheduleRenewal returns when a certificate valid from notBefore to
// notAfter is renewed when no CA renewal window decides, and why: the
// spec's renewBefore or renewBeforePercentage when one applies, as
// cert-manager; else half the lifetime for a short-lived leaf; else
// cert-manager's default (RenewalTime). The jitter derived from key moves
// it earlier as in RenewalTime.
func ScheduleRenewal(notBefore, notAfter time.Time, spec *Spec, key string) (time.Time, RenewalBasis) {
	lifetime := notAfter.Sub(notBefore)
	if rb, basis, ok := specRenewBefore(lifetime, spec); ok {
		return renewalAt(notBefore, notAfter, rb, key), basis
	}
	if IsShortLived(lifetime) {
		return renewalAt(notBefore, notAfter, lifetime/2, key), RenewalBasisShortLivedHalfLife
	}
	return renewalAt(notBefore, notAfter, lifetime/3, key), RenewalBasisDefault
}
