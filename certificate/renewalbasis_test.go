package certificate

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// RenewalBasisOf reads what chose the stored renewal time from the status.
func TestRenewalBasisOf(t *testing.T) {
	nb := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	na := nb.Add(leShortLived)
	issued := func(spec Spec) *Certificate {
		c := &Certificate{Spec: spec}
		c.ObjectMeta.Namespace, c.ObjectMeta.Name = "ns", "c"
		rt, _ := ScheduleRenewal(nb, na, &c.Spec, JitterKey(c))
		c.Status.NotBefore, c.Status.NotAfter, c.Status.RenewalTime = &nb, &na, &rt
		return c
	}
	assert.Equal(t, RenewalBasis(""), RenewalBasisOf(&Certificate{}), "not issued yet")
	assert.Equal(t, RenewalBasisShortLivedHalfLife, RenewalBasisOf(issued(Spec{})))
	assert.Equal(t, RenewalBasisRenewBefore, RenewalBasisOf(issued(Spec{RenewBefore: dur(time.Hour)})))
	assert.Equal(t, RenewalBasisRenewBeforePercentage, RenewalBasisOf(issued(Spec{RenewBeforePercentage: pct(40)})))

	c := issued(Spec{})
	sel := nb.Add(100 * time.Hour)
	c.Status.ACME = &ACMEStatus{ARI: &ARIStatus{SelectedTime: &sel}}
	assert.Equal(t, RenewalBasisShortLivedHalfLife, RenewalBasisOf(c), "a drawn time not in use")
	c.Status.RenewalTime = &sel
	assert.Equal(t, RenewalBasisARI, RenewalBasisOf(c))

	c = issued(Spec{})
	c.Spec.RenewBefore = dur(time.Hour)
	assert.Equal(t, RenewalBasis(""), RenewalBasisOf(c), "spec changed since the time was chosen")

	long := nb.Add(90 * 24 * time.Hour)
	c = &Certificate{}
	rt := RenewalTime(nb, long, &c.Spec, JitterKey(c))
	c.Status.NotBefore, c.Status.NotAfter, c.Status.RenewalTime = &nb, &long, &rt
	assert.Equal(t, RenewalBasisDefault, RenewalBasisOf(c))
}
