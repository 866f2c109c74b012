package certificate

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"crypto/x509"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/issuer"
)

// ariLeaf is a leaf with a CertID, valid from nb for lifetime.
func ariLeaf(nb time.Time, lifetime time.Duration) *x509.Certificate {
	return &x509.Certificate{AuthorityKeyId: []byte{1, 2, 3}, SerialNumber: big.NewInt(42), NotBefore: nb, NotAfter: nb.Add(lifetime)}
}

// The ARI row of cert-manager v1.21.1's TestRenewalTime
// (pkg/util/pki/renewaltime_test.go, "certificate passes in ariInfo, gets
// that as the desired renewal time"): with a window from the CA, the
// renewal time lies inside it, whatever renewBefore says. In cert-manager
// pki.RenewalTime draws it (readiness_controller.go keeps a drawn time that
// still lies inside the window); in certflow recordRenewalInfo draws it once
// per window and renewalTimeOf reads it.
func TestRenewalTime_CertManagerARIRow(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	leaf := ariLeaf(now, 24*time.Hour)
	id, err := acmeproto.CertID(leaf)
	require.NoError(t, err)
	cert := &Certificate{Spec: Spec{RenewBefore: dur(24 * time.Hour)}}
	for range 200 {
		ari := recordRenewalInfo(nil, issuer.RenewalInfo{CertID: id, WindowStart: now.Add(5 * time.Hour), WindowEnd: now.Add(6 * time.Hour)}, now, rand.Int64N)
		cert.Status.ACME = &ACMEStatus{ARI: ari}
		rt, basis := renewalOf(cert, leaf)
		assert.WithinRange(t, rt, now.Add(5*time.Hour), now.Add(6*time.Hour))
		assert.Equal(t, RenewalBasisARI, basis)
	}
}

// The time drawn is uniform over the window: with a fixed rnd it is the
// point rnd names, truncated to the second; an unchanged window keeps it
// (restarts and replicas agree), a moved window draws again.
func TestRecordRenewalInfo_SelectsOncePerWindow(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	start, end := now.Add(10*time.Hour), now.Add(20*time.Hour)
	info := issuer.RenewalInfo{CertID: "a.b", WindowStart: start, WindowEnd: end, RetryAfter: 6 * time.Hour, ExplanationURL: "https://x"}
	half := func(n int64) int64 { return n / 2 }
	a := recordRenewalInfo(nil, info, now, half)
	assert.Equal(t, start.Add(5*time.Hour), *a.SelectedTime)
	assert.Equal(t, now.Add(6*time.Hour+18*time.Minute), *a.NextCheck, "Retry-After plus half of a tenth (rnd draws the middle)")
	assert.Equal(t, "https://x", a.ExplanationURL)
	assert.Equal(t, now, *a.LastChecked)

	later := now.Add(6 * time.Hour)
	zero := func(int64) int64 { return 0 }
	b := recordRenewalInfo(a, info, later, zero)
	assert.Equal(t, *a.SelectedTime, *b.SelectedTime, "same window: the time chosen before stays")
	assert.Equal(t, later.Add(6*time.Hour), *b.NextCheck)

	past := info
	past.WindowStart, past.WindowEnd = later.Add(-time.Hour), later.Add(-time.Hour+time.Second)
	c := recordRenewalInfo(b, past, later, zero)
	assert.Equal(t, past.WindowStart, *c.SelectedTime, "a moved window draws again")
	assert.True(t, c.SelectedTime.Before(later), "a window in the past means renew at once")
}

// Draws spread over the whole window.
func TestRecordRenewalInfo_Uniform(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	info := issuer.RenewalInfo{CertID: "a.b", WindowStart: now, WindowEnd: now.Add(10 * time.Hour)}
	var buckets [10]int
	for range 1000 {
		a := recordRenewalInfo(nil, info, now, rand.Int64N)
		buckets[int(a.SelectedTime.Sub(now)/time.Hour)]++
	}
	for i, n := range buckets {
		assert.Greater(t, n, 40, "hour %d of the window got %d of 1000 draws", i, n)
	}
}

func TestNextARICheck_Bounds(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	zero := func(int64) int64 { return 0 }
	top := func(n int64) int64 { return n - 1 }
	for _, tt := range []struct {
		retryAfter time.Duration
		want       time.Duration
	}{
		{0, ARIDefaultCheck},
		{time.Second, ARIMinCheck},
		{3 * time.Hour, 3 * time.Hour},
		{7 * 24 * time.Hour, ARIMaxCheck},
	} {
		assert.Equal(t, now.Add(tt.want), nextARICheck(now, tt.retryAfter, zero), "retry-after %v", tt.retryAfter)
		assert.LessOrEqual(t, nextARICheck(now, tt.retryAfter, top).Sub(now), tt.want+tt.want/10, "jitter at most a tenth")
	}
}

// A failed check keeps what was known, shows the error, and asks again
// when the CA said, after an hour otherwise, after a day when the CA offers
// no ARI.
func TestRecordRenewalInfoError(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	zero := func(int64) int64 { return 0 }
	sel := now.Add(time.Hour)
	prev := &ARIStatus{CertID: "a.b", SuggestedWindow: &RenewalWindow{Start: now, End: now.Add(2 * time.Hour)}, SelectedTime: &sel}
	for _, tt := range []struct {
		err  error
		wait time.Duration
	}{
		{&issuer.RenewalInfoError{Err: errors.New("429"), RetryAfter: 10 * time.Minute}, 10 * time.Minute},
		{&issuer.RenewalInfoError{Err: errors.New("503")}, ariErrorCheck},
		{issuer.ErrNoRenewalInfo, ariUnsupportedCheck},
	} {
		a := recordRenewalInfoError(prev, "a.b", tt.err, now, zero)
		assert.Equal(t, now.Add(tt.wait), *a.NextCheck)
		assert.Equal(t, tt.err.Error(), a.LastError)
		assert.Equal(t, sel, *a.SelectedTime, "the window known before still holds")
	}
}

// Information about another certificate (the one before a renewal) is
// ignored: the renewal time falls back to renewBefore, and the CA is asked
// about the new leaf at once.
func TestARI_OtherCertificateIgnored(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	leaf := ariLeaf(now, 90*24*time.Hour)
	sel := now.Add(time.Hour)
	next := now.Add(5 * time.Hour)
	cert := &Certificate{Status: Status{ACME: &ACMEStatus{ARI: &ARIStatus{CertID: "old.id", SelectedTime: &sel, NextCheck: &next}}}}
	rt, basis := renewalOf(cert, leaf)
	assert.Equal(t, RenewalTime(leaf.NotBefore, leaf.NotAfter, &cert.Spec, JitterKey(cert)), rt)
	assert.Equal(t, RenewalBasisDefault, basis)
	assert.True(t, ariCheckDue(cert, leaf, now))

	id, _ := acmeproto.CertID(leaf)
	cert.Status.ACME.ARI.CertID = id
	rt, basis = renewalOf(cert, leaf)
	assert.Equal(t, sel, rt)
	assert.Equal(t, RenewalBasisARI, basis)
	assert.False(t, ariCheckDue(cert, leaf, now))
	assert.True(t, ariCheckDue(cert, leaf, next), "due at its next check")
	assert.False(t, ariCheckDue(cert, &x509.Certificate{SerialNumber: big.NewInt(1)}, now), "no AKI, no CertID: nothing to ask")
}
