package certificate

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
)

func pct(p int32) *int32 { return &p }

func dur(d time.Duration) *meta.Duration { return &meta.Duration{Duration: d} }

// TestRenewalTime_CertManager ports TestRenewalTime from cert-manager
// v1.21.1, pkg/util/pki/renewaltime_test.go: 8 rows ported, all agree. They
// run without jitter (an empty jitter key), which is certflow's only
// deviation here: with a key, the time moves earlier by a deterministic
// jitter (see TestRenewalTime_StrictlyInsideValidity). The ninth row, with
// ACME Renewal Information, is ported as TestRenewalTime_CertManagerARIRow
// (ari_test.go): the window comes from the status there.
func TestRenewalTime_CertManager(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rows := map[string]struct {
		notBefore, notAfter time.Time
		renewBefore         *meta.Duration
		renewBeforePct      *int32
		want                time.Time
	}{
		"short lived cert, spec.renewBefore is not set": {notBefore: now, notAfter: now.Add(3 * time.Hour), want: now.Add(2 * time.Hour)},
		"long lived cert, spec.renewBefore is not set":  {notBefore: now, notAfter: now.Add(4380 * time.Hour), want: now.Add(2920 * time.Hour)},
		"spec.renewBefore is set": {notBefore: now, notAfter: now.Add(24 * time.Hour), renewBefore: dur(20 * time.Hour),
			want: now.Add(4 * time.Hour)},
		"long lived cert, spec.renewBefore is set to renew every day": {notBefore: now, notAfter: now.Add(730 * time.Hour),
			renewBefore: dur(706 * time.Hour), want: now.Add(24 * time.Hour)},
		"spec.renewBefore is set, but would result in renewal time after expiry": {notBefore: now, notAfter: now.Add(24 * time.Hour),
			renewBefore: dur(25 * time.Hour), want: now.Add(16 * time.Hour)},
		"long lived cert, spec.renewBeforePercentage is set to renew 30% before expiry": {notBefore: now, notAfter: now.Add(730 * time.Hour),
			renewBeforePct: pct(30), want: now.Add(511 * time.Hour)},
		"spec.renewBefore is set to a value slightly less than cert's duration": {notBefore: now, notAfter: now.Add(24*time.Hour + 3*time.Minute),
			renewBefore: dur(24 * time.Hour), want: now.Add(3 * time.Minute)},
		"certificate's duration is skewed by a second": {notBefore: now, notAfter: now.Add(24 * time.Hour).Add(-time.Second),
			want: now.Add(16 * time.Hour).Add(-time.Second)},
	}
	for name, tt := range rows {
		t.Run(name, func(t *testing.T) {
			spec := Spec{RenewBefore: tt.renewBefore, RenewBeforePercentage: tt.renewBeforePct}
			assert.Equal(t, tt.want, RenewalTime(tt.notBefore, tt.notAfter, &spec, ""))
		})
	}
}

// TestRenewBefore_CertManager ports TestRenewBefore (cert-manager's
// desiredRenewalTime) from cert-manager v1.21.1,
// pkg/util/pki/renewaltime_test.go: 8 rows ported, all agree; the certflow
// rows below them cover the other out-of-range values the same way.
func TestRenewBefore_CertManager(t *testing.T) {
	const defaultDuration = 3 * time.Hour
	rows := map[string]struct {
		duration       time.Duration
		renewBefore    *meta.Duration
		renewBeforePct *int32
		want           time.Duration
	}{
		"spec.renewBefore and spec.renewBeforePercentage are not set": {want: time.Hour},
		"spec.renewBeforePercentage is valid":                         {renewBeforePct: pct(25), want: 45 * time.Minute},
		"spec.renewBeforePercentage is too large so default is used":  {renewBeforePct: pct(100), want: time.Hour},
		"spec.renewBeforePercentage is too small so default is used":  {renewBeforePct: pct(0), want: time.Hour},
		"spec.renewBefore is valid":                                   {renewBefore: dur(time.Hour), want: time.Hour},
		"spec.renewBefore is invalid so default is used":              {renewBefore: dur(4 * time.Hour), want: time.Hour},
		"spec.renewBeforePercentage=99 with 10-year duration does not overflow int64": {duration: 24 * 365 * 10 * time.Hour,
			renewBeforePct: pct(99), want: time.Duration(float64(24*365*10*time.Hour) * 0.99)},
		"spec.renewBeforePercentage=99 with 3-year duration does not overflow int64": {duration: 24 * 365 * 3 * time.Hour,
			renewBeforePct: pct(99), want: time.Duration(float64(24*365*3*time.Hour) * 0.99)},

		// certflow rows (same rule, other values).
		"certflow: renewBeforePercentage above 100 uses the default":   {renewBeforePct: pct(150), want: time.Hour},
		"certflow: negative renewBeforePercentage uses the default":    {renewBeforePct: pct(-5), want: time.Hour},
		"certflow: zero renewBefore falls back to the percentage":      {renewBefore: dur(0), renewBeforePct: pct(50), want: 90 * time.Minute},
		"certflow: renewBefore equal to the lifetime uses the default": {renewBefore: dur(3 * time.Hour), want: time.Hour},
	}
	for name, tt := range rows {
		t.Run(name, func(t *testing.T) {
			d := tt.duration
			if d == 0 {
				d = defaultDuration
			}
			assert.Equal(t, tt.want, RenewBefore(d, &Spec{RenewBefore: tt.renewBefore, RenewBeforePercentage: tt.renewBeforePct}))
		})
	}
}

// TestRenewalTime_StrictlyInsideValidity: jitter included, the renewal time
// lies strictly between notBefore and notAfter. With duration 1h and
// renewBefore 59m the old jitter (subtracted on top of renewBefore) put 85
// of 100 certificates' renewal at or before notBefore: due the moment they
// were issued, forever.
func TestRenewalTime_StrictlyInsideValidity(t *testing.T) {
	nb := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		lifetime time.Duration
		spec     Spec
	}{
		{time.Hour, Spec{RenewBefore: dur(59 * time.Minute)}},
		{time.Hour, Spec{RenewBefore: dur(59*time.Minute + 59*time.Second)}},
		{time.Hour, Spec{RenewBeforePercentage: pct(99)}},
		{time.Hour, Spec{RenewBeforePercentage: pct(0)}},
		{time.Hour, Spec{RenewBeforePercentage: pct(100)}},
		{time.Hour, Spec{RenewBeforePercentage: pct(250)}},
		{90 * 24 * time.Hour, Spec{}},
		{90 * 24 * time.Hour, Spec{RenewBefore: dur(89 * 24 * time.Hour)}},
		{2 * time.Second, Spec{}},
		{1500 * time.Millisecond, Spec{RenewBefore: dur(time.Second)}},
	}
	for _, c := range cases {
		na := nb.Add(c.lifetime)
		base := RenewalTime(nb, na, &c.spec, "")
		for i := 0; i < 100; i++ {
			key := fmt.Sprintf("ns/cert-%d", i)
			rt := RenewalTime(nb, na, &c.spec, key)
			assert.True(t, rt.After(nb), "lifetime %s %+v key %s: renewal %s not after notBefore", c.lifetime, c.spec, key, rt)
			assert.True(t, rt.Before(na), "lifetime %s key %s: renewal %s not before notAfter", c.lifetime, key, rt)
			assert.False(t, rt.After(base), "jitter only moves renewal earlier")
		}
	}
}
