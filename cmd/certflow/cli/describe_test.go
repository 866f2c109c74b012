package cli

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store/memory"
)

// describe shows the events any Manager stored for an object of any kind,
// an aggregated one with its count, as kubectl does.
func TestDescribe_ShowsStoredEventsWithTheirCount(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := memory.New()
	m, err := certflow.New(certflow.Config{Store: st, Clock: clock.NewFake(now)})
	require.NoError(t, err)
	ch := &challenge.Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "web", Name: "www-1-1-1"}}
	ref := meta.RefOf(ch)
	owned := meta.ObjectMeta{Namespace: "web", Name: "www-1-1-1.0123456789abcdef", OwnerRefs: []meta.Ref{ref}}
	require.NoError(t, st.Create(ctx, &meta.Event{
		ObjectMeta: owned, Object: ref, Type: meta.EventWarning, Reason: "PresentError", Message: "the DNS provider said no",
		Time: now.Add(-time.Minute), FirstTime: now.Add(-10 * time.Minute), Count: 3,
	}))
	var out bytes.Buffer
	require.NoError(t, describe(ctx, &out, m, ch, now))
	assert.Regexp(t, `(?m)^  Warning +PresentError +60s \(x3 over 10m\) +the DNS provider said no$`, out.String())
}

// describe shows a Certificate's fallback issuers, which one issued and why
// the others were skipped.
func TestDescribe_ShowsIssuerFallback(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m, err := certflow.New(certflow.Config{Store: memory.New(), Clock: clock.NewFake(now)})
	require.NoError(t, err)
	second := meta.IssuerRef{Name: "second", Kind: meta.KindClusterIssuer}
	c := &certificate.Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "web", Name: "www"},
		Spec: certificate.Spec{SecretName: "www-tls", DNSNames: []string{"www.example.com"},
			IssuerRef: meta.IssuerRef{Name: "first"}, FallbackIssuerRefs: []meta.IssuerRef{second}},
		Status: certificate.Status{IssuedBy: &second, SkippedIssuers: []certificate.SkippedIssuer{{
			IssuerRef: meta.IssuerRef{Name: "first"}, Reason: request.ReasonRateLimited,
			Message: "new order: urn:ietf:params:acme:error:rateLimited: slow down", Request: "www-1", Time: now, Revision: 1}}}}
	var out bytes.Buffer
	require.NoError(t, describe(ctx, &out, m, c, now))
	s := out.String()
	assert.Contains(t, s, "Fallback Issuer Refs")
	assert.Contains(t, s, "Issued By")
	assert.Contains(t, s, "Skipped Issuers")
	assert.Contains(t, s, "RateLimited")
	assert.Contains(t, s, "slow down")
}

// describe says why a Certificate's renewal time is what it is: a
// six-day certificate without a CA window renews at half-life.
func TestDescribe_CertificateSaysWhatChoseItsRenewalTime(t *testing.T) {
	ctx := context.Background()
	nb := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m, err := certflow.New(certflow.Config{Store: memory.New(), Clock: clock.NewFake(nb)})
	require.NoError(t, err)
	c := &certificate.Certificate{ObjectMeta: meta.ObjectMeta{Namespace: "web", Name: "ip"},
		Spec: certificate.Spec{SecretName: "ip-tls", DNSNames: []string{"a.example.test"}, IssuerRef: meta.IssuerRef{Name: "le"}}}
	na := nb.Add(6 * 24 * time.Hour)
	rt, _ := certificate.ScheduleRenewal(nb, na, &c.Spec, certificate.JitterKey(c))
	c.Status.NotBefore, c.Status.NotAfter, c.Status.RenewalTime = &nb, &na, &rt
	var out bytes.Buffer
	require.NoError(t, describe(ctx, &out, m, c, nb))
	assert.Regexp(t, `(?m)^  Renewal Basis: +ShortLivedHalfLife: half the lifetime`, out.String())

	c.Spec.RenewBefore = &meta.Duration{Duration: time.Hour}
	out.Reset()
	require.NoError(t, describe(ctx, &out, m, c, nb))
	assert.NotContains(t, out.String(), "Renewal Basis", "the time was chosen under another spec: nothing said until it is chosen again")

	rt, _ = certificate.ScheduleRenewal(nb, na, &c.Spec, certificate.JitterKey(c))
	c.Status.RenewalTime = &rt
	out.Reset()
	require.NoError(t, describe(ctx, &out, m, c, nb))
	assert.Regexp(t, `(?m)^  Renewal Basis: +RenewBefore: spec.renewBefore before expiry`, out.String())
}
