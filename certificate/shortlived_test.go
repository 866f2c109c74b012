package certificate

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/issuer"
)

// Let's Encrypt's shortlived profile: 160 hours.
const leShortLived = 160 * time.Hour

// TestScheduleRenewal decides the renewal time without a CA window: the
// spec's fields first (as cert-manager), then half-life for a leaf under
// ten days, then cert-manager's two thirds. No jitter (empty key).
func TestScheduleRenewal(t *testing.T) {
	nb := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := map[string]struct {
		lifetime  time.Duration
		spec      Spec
		wantAfter time.Duration // renewal time − notBefore
		wantBasis RenewalBasis
	}{
		"160h shortlived profile: half-life": {lifetime: leShortLived, wantAfter: 80 * time.Hour,
			wantBasis: RenewalBasisShortLivedHalfLife},
		"six days: half-life": {lifetime: 6 * 24 * time.Hour, wantAfter: 3 * 24 * time.Hour,
			wantBasis: RenewalBasisShortLivedHalfLife},
		"three hours (cert-manager's short row): half-life, not 2h": {lifetime: 3 * time.Hour, wantAfter: 90 * time.Minute,
			wantBasis: RenewalBasisShortLivedHalfLife},
		"just under ten days: half-life": {lifetime: ShortLivedLifetime - time.Second, wantAfter: (ShortLivedLifetime - time.Second) / 2,
			wantBasis: RenewalBasisShortLivedHalfLife},
		"exactly ten days: not short-lived, two thirds": {lifetime: ShortLivedLifetime, wantAfter: ShortLivedLifetime * 2 / 3,
			wantBasis: RenewalBasisDefault},
		"90 days: two thirds": {lifetime: 90 * 24 * time.Hour, wantAfter: 60 * 24 * time.Hour, wantBasis: RenewalBasisDefault},
		"160h with renewBefore 24h: the spec decides": {lifetime: leShortLived, spec: Spec{RenewBefore: dur(24 * time.Hour)},
			wantAfter: 136 * time.Hour, wantBasis: RenewalBasisRenewBefore},
		"160h with renewBeforePercentage 25: the spec decides": {lifetime: leShortLived, spec: Spec{RenewBeforePercentage: pct(25)},
			wantAfter: 120 * time.Hour, wantBasis: RenewalBasisRenewBeforePercentage},
		"160h with renewBefore 30 days (longer than the lifetime): half-life": {lifetime: leShortLived,
			spec: Spec{RenewBefore: dur(30 * 24 * time.Hour)}, wantAfter: 80 * time.Hour, wantBasis: RenewalBasisShortLivedHalfLife},
		"160h with renewBeforePercentage 100 (out of range): half-life": {lifetime: leShortLived,
			spec: Spec{RenewBeforePercentage: pct(100)}, wantAfter: 80 * time.Hour, wantBasis: RenewalBasisShortLivedHalfLife},
		"90 days with renewBefore 30 days: the spec decides": {lifetime: 90 * 24 * time.Hour, spec: Spec{RenewBefore: dur(30 * 24 * time.Hour)},
			wantAfter: 60 * 24 * time.Hour, wantBasis: RenewalBasisRenewBefore},
	}
	for name, tt := range rows {
		t.Run(name, func(t *testing.T) {
			rt, basis := ScheduleRenewal(nb, nb.Add(tt.lifetime), &tt.spec, "")
			assert.Equal(t, nb.Add(tt.wantAfter).Truncate(time.Second), rt)
			assert.Equal(t, tt.wantBasis, basis)
		})
	}
}

// Long-lived certificates and spec-driven times are exactly what
// cert-manager's RenewalTime gives; only the short-lived default differs.
func TestScheduleRenewal_AgreesWithCertManagerOutsideShortLived(t *testing.T) {
	nb := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		lifetime time.Duration
		spec     Spec
	}{
		{90 * 24 * time.Hour, Spec{}},
		{ShortLivedLifetime, Spec{}},
		{365 * 24 * time.Hour, Spec{RenewBeforePercentage: pct(10)}},
		{leShortLived, Spec{RenewBefore: dur(2 * time.Hour)}},
		{3 * time.Hour, Spec{RenewBeforePercentage: pct(33)}},
	} {
		for _, key := range []string{"", "ns/a", "ns/b"} {
			got, _ := ScheduleRenewal(nb, nb.Add(c.lifetime), &c.spec, key)
			assert.Equal(t, RenewalTime(nb, nb.Add(c.lifetime), &c.spec, key), got, "lifetime %s %+v key %q", c.lifetime, c.spec, key)
		}
	}
}

// With jitter, a half-life renewal moves earlier by less than an hour and
// stays strictly inside the validity.
func TestScheduleRenewal_HalfLifeJitter(t *testing.T) {
	nb := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, lifetime := range []time.Duration{leShortLived, time.Hour, 2 * time.Second} {
		na := nb.Add(lifetime)
		half := nb.Add(lifetime / 2)
		spread := map[time.Time]bool{}
		for i := range 100 {
			rt, basis := ScheduleRenewal(nb, na, &Spec{}, fmt.Sprintf("ns/c-%d", i))
			require.Equal(t, RenewalBasisShortLivedHalfLife, basis)
			assert.True(t, rt.After(nb) && rt.Before(na), "lifetime %s: %s inside the validity", lifetime, rt)
			assert.False(t, rt.After(half), "jitter only moves it earlier")
			assert.True(t, half.Sub(rt) <= min(lifetime/20, maxJitter), "lifetime %s: %s within the jitter bound", lifetime, half.Sub(rt))
			spread[rt] = true
		}
		if lifetime == leShortLived {
			assert.Greater(t, len(spread), 90, "short-lived certificates issued together spread their renewals")
		}
	}
}

// The CA's window decides a short-lived leaf's renewal too; without one
// (never fetched, or about the previous leaf) it is half-life.
func TestRenewalOf_ShortLived_ARIDecides(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	leaf := ariLeaf(now, leShortLived)
	id, err := acmeproto.CertID(leaf)
	require.NoError(t, err)
	cert := &Certificate{}
	rt, basis := renewalOf(cert, leaf)
	assert.Equal(t, RenewalBasisShortLivedHalfLife, basis)
	assert.WithinRange(t, rt, now.Add(79*time.Hour), now.Add(80*time.Hour))

	start, end := now.Add(100*time.Hour), now.Add(110*time.Hour)
	first := func(int64) int64 { return 0 }
	cert.Status.ACME = &ACMEStatus{ARI: recordRenewalInfo(nil, issuer.RenewalInfo{CertID: id, WindowStart: start, WindowEnd: end}, now, first)}
	rt, basis = renewalOf(cert, leaf)
	assert.Equal(t, RenewalBasisARI, basis)
	assert.Equal(t, start, rt, "the window wins over half-life")

	cert.Status.ACME.ARI.CertID = "previous.leaf"
	_, basis = renewalOf(cert, leaf)
	assert.Equal(t, RenewalBasisShortLivedHalfLife, basis, "a window about another leaf does not apply")
}

func TestRenewalBasis_EveryBasisExplained(t *testing.T) {
	for _, b := range []RenewalBasis{RenewalBasisARI, RenewalBasisRenewBefore, RenewalBasisRenewBeforePercentage,
		RenewalBasisShortLivedHalfLife, RenewalBasisDefault} {
		assert.NotEmpty(t, b.Explain(), b)
	}
	assert.Empty(t, RenewalBasis("Unknown").Explain())
}

func TestIsShortLived(t *testing.T) {
	for lifetime, want := range map[time.Duration]bool{
		0: false, -time.Hour: false, time.Second: true, leShortLived: true,
		ShortLivedLifetime - 1: true, ShortLivedLifetime: false, 90 * 24 * time.Hour: false,
	} {
		assert.Equal(t, want, IsShortLived(lifetime), "%s", lifetime)
	}
}
