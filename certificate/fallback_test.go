package certificate

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// TestDecide_Fallback is the decision table of a Certificate naming issuers
// a, then b (ClusterIssuer), then c: which issuer each request is for, when
// an issuer is passed over, and when a failure counts instead.
func TestDecide_Fallback(t *testing.T) {
	now := harnessEpoch
	key := testKey(t, "decide-ec", "ECDSA", 256)
	opts := Options{BackoffMin: time.Hour, BackoffMax: 32 * time.Hour}
	a := meta.IssuerRef{Name: "a"}
	b := meta.IssuerRef{Name: "b", Kind: meta.KindClusterIssuer}
	c := meta.IssuerRef{Name: "c", Kind: meta.KindIssuer, Group: "cert-manager.io"}
	h := depsForTest(t)

	base := func() *Certificate {
		crt := harnessCert("web", "web-tls", "web.example.test")
		crt.Spec.IssuerRef = a
		crt.Spec.FallbackIssuerRefs = []meta.IssuerRef{b, c}
		crt.ObjectMeta.Generation = 1
		crt.ObjectMeta.Labels = map[string]string{LabelSecretName: "web-tls"}
		return crt
	}
	nextKeyOf := func(crt *Certificate) *secret.Secret {
		s := newNextKeySecret(crt, nil)
		s.ObjectMeta.ResourceVersion = "7"
		s.Data = map[string][]byte{secret.TLSKeyKey: pemOf(t, key)}
		return s
	}
	reqFor := func(crt *Certificate, iss meta.IssuerRef) *request.CertificateRequest {
		r := newRequest(crt, &nextKey{name: nextKeyName(crt), key: key})
		r.Spec.IssuerRef = iss
		r.Spec.Request = csrFor(t, key, &crt.Spec)
		r.ObjectMeta.ResourceVersion = "9"
		return r
	}
	failedAt := now.Add(-time.Minute)
	failed := func(r *request.CertificateRequest, f *request.Fallback) *request.CertificateRequest {
		r.Status.FailureTime = &failedAt
		r.Status.Fallback = f
		r.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionFalse, Reason: request.ReasonFailed, Message: "CA said no"})
		return r
	}
	issued := func(r *request.CertificateRequest) *request.CertificateRequest {
		csr, err := pki.ParseCSR(r.Spec.Request)
		require.NoError(t, err)
		tmpl, err := pki.TemplateFromCSR(csr, pki.LeafTemplate{NotBefore: now, NotAfter: now.Add(90 * 24 * time.Hour)})
		require.NoError(t, err)
		der, err := pki.SignCertificate(tmpl, csr.PublicKey, h.caCert, h.caKey)
		require.NoError(t, err)
		r.Status.Certificate = pki.EncodeDER(der)
		r.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue, Reason: request.ReasonIssued})
		return r
	}
	// secretFrom is the Secret the issuing step writes for an issued r.
	secretFrom := func(crt *Certificate, r *request.CertificateRequest) *secret.Secret {
		sec, err := issuedSecret(crt, nil, r, &nextKey{name: nextKeyName(crt), key: key}, nil)
		require.NoError(t, err)
		sec.ObjectMeta.ResourceVersion = "3"
		return sec
	}
	rateLimited := &request.Fallback{Reason: request.ReasonRateLimited, Message: "new order: rateLimited: slow down"}
	rejected := &request.Fallback{Reason: request.ReasonIdentifierRejected, Message: "new order: rejectedIdentifier: no"}
	skipOf := func(iss meta.IssuerRef, f *request.Fallback, rev, attempt int) SkippedIssuer {
		return SkippedIssuer{IssuerRef: iss, Reason: f.Reason, Message: f.Message, Request: "web-" + strconv.Itoa(rev), Time: failedAt, Revision: rev, Attempt: attempt}
	}
	one := 1
	later := now.Add(time.Hour) // the first CA's Retry-After ends then
	rateLimitedUntil := func(at time.Time) *request.Fallback {
		f := *rateLimited
		f.RetryAt = &at
		return &f
	}
	heldSkip := func(iss meta.IssuerRef, rev, attempt int, until time.Time) SkippedIssuer {
		s := skipOf(iss, rateLimited, rev, attempt)
		s.RetryAt = &until
		return s
	}
	notAsked := func(iss meta.IssuerRef, rev, attempt int, until time.Time) SkippedIssuer {
		return SkippedIssuer{IssuerRef: iss, Reason: request.ReasonRateLimited, Time: now, Revision: rev, Attempt: attempt, RetryAt: &until,
			Message: "not sent: the CA asked not to be asked before " + until.UTC().Format(time.RFC3339)}
	}

	type want struct {
		create []string
		delete []string
		next   time.Time
		// requestFor is the issuer of the request created, with whether it
		// is marked as having a fallback.
		requestFor   *meta.IssuerRef
		hasFallback  bool
		skipped      []SkippedIssuer
		issuedBy     *meta.IssuerRef
		failures     int // status.failedIssuanceAttempts afterwards
		event        meta.Reason
		secretIssuer string // the issuer-name annotation of a Secret created
	}
	rows := []struct {
		name string
		snap func() *Snapshot
		want want
	}{
		{"first request is for spec.issuerRef, marked as having a fallback", func() *Snapshot {
			crt := base()
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt)}
		}, want{create: []string{"CertificateRequest/web-1"}, requestFor: &a, hasFallback: true}},
		{"first issuer rate limited: skipped, no failure counted, no backoff", func() *Snapshot {
			crt := base()
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt), NextRequest: failed(reqFor(crt, a), rateLimited)}
		}, want{delete: []string{"CertificateRequest/web-1"}, next: now, skipped: []SkippedIssuer{skipOf(a, rateLimited, 1, 0)}, event: ReasonIssuerSkipped}},
		{"after the skip: the request is for the next issuer", func() *Snapshot {
			crt := base()
			crt.Status.SkippedIssuers = []SkippedIssuer{skipOf(a, rateLimited, 1, 0)}
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt)}
		}, want{create: []string{"CertificateRequest/web-1"}, requestFor: &b, hasFallback: true, skipped: []SkippedIssuer{skipOf(a, rateLimited, 1, 0)}}},
		{"skip already recorded, its request not deleted yet: recorded once", func() *Snapshot {
			crt := base()
			crt.Status.SkippedIssuers = []SkippedIssuer{skipOf(a, rateLimited, 1, 0)}
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt), NextRequest: failed(reqFor(crt, a), rateLimited)}
		}, want{delete: []string{"CertificateRequest/web-1"}, next: now, skipped: []SkippedIssuer{skipOf(a, rateLimited, 1, 0)}}},
		{"second issuer rejects the name: the last one is asked, without a fallback mark", func() *Snapshot {
			crt := base()
			crt.Status.SkippedIssuers = []SkippedIssuer{skipOf(a, rateLimited, 1, 0), skipOf(b, rejected, 1, 0)}
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt)}
		}, want{create: []string{"CertificateRequest/web-1"}, requestFor: &c,
			skipped: []SkippedIssuer{skipOf(a, rateLimited, 1, 0), skipOf(b, rejected, 1, 0)}}},
		{"a failure another issuer would share (no Fallback on the request): counted, backed off, no fallback", func() *Snapshot {
			crt := base()
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt), NextRequest: failed(reqFor(crt, a), nil)}
		}, want{next: failedAt.Add(time.Hour), failures: 1, event: ReasonFailed}},
		{"the last issuer's failure counts even with a Fallback reason", func() *Snapshot {
			crt := base()
			crt.Status.SkippedIssuers = []SkippedIssuer{skipOf(a, rateLimited, 1, 0), skipOf(b, rejected, 1, 0)}
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt), NextRequest: failed(reqFor(crt, c), rateLimited)}
		}, want{next: failedAt.Add(time.Hour), failures: 1, event: ReasonFailed,
			skipped: []SkippedIssuer{skipOf(a, rateLimited, 1, 0), skipOf(b, rejected, 1, 0)}}},
		{"retry after the backoff starts at the first issuer again; old skips dropped", func() *Snapshot {
			crt := base()
			crt.Status.SkippedIssuers = []SkippedIssuer{skipOf(a, rateLimited, 1, 0), skipOf(b, rejected, 1, 0)}
			long := now.Add(-2 * time.Hour)
			crt.Status.FailedIssuanceAttempts, crt.Status.LastFailureTime = &one, &long
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt)}
		}, want{create: []string{"CertificateRequest/web-1"}, requestFor: &a, hasFallback: true, failures: 1}},
		{"a skipped issuer removed from the list: start over at the first", func() *Snapshot {
			crt := base()
			crt.Status.SkippedIssuers = []SkippedIssuer{skipOf(meta.IssuerRef{Name: "gone"}, rateLimited, 1, 0)}
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt)}
		}, want{create: []string{"CertificateRequest/web-1"}, requestFor: &a, hasFallback: true,
			skipped: []SkippedIssuer{skipOf(meta.IssuerRef{Name: "gone"}, rateLimited, 1, 0)}}},
		{"first issuer rate limited with a Retry-After: the skip keeps the CA's time", func() *Snapshot {
			crt := base()
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt), NextRequest: failed(reqFor(crt, a), rateLimitedUntil(later))}
		}, want{delete: []string{"CertificateRequest/web-1"}, next: now, skipped: []SkippedIssuer{heldSkip(a, 1, 0, later)}, event: ReasonIssuerSkipped}},
		{"retry after a counted failure before the first CA's time: passed over without a request", func() *Snapshot {
			crt := base()
			crt.Status.SkippedIssuers = []SkippedIssuer{heldSkip(a, 1, 0, later), skipOf(b, rejected, 1, 0)}
			long := now.Add(-2 * time.Hour)
			crt.Status.FailedIssuanceAttempts, crt.Status.LastFailureTime = &one, &long
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt)}
		}, want{create: []string{"CertificateRequest/web-1"}, requestFor: &b, hasFallback: true, failures: 1, event: ReasonIssuerSkipped,
			skipped: []SkippedIssuer{heldSkip(a, 1, 0, later), notAsked(a, 1, 1, later)}}},
		{"renewal before the first CA's time: passed over without a request", func() *Snapshot {
			crt := base()
			crt.Status.Revision = &one
			crt.Status.SkippedIssuers = []SkippedIssuer{heldSkip(a, 1, 0, later)}
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt)}
		}, want{create: []string{"CertificateRequest/web-2"}, requestFor: &b, hasFallback: true, event: ReasonIssuerSkipped,
			skipped: []SkippedIssuer{heldSkip(a, 1, 0, later), notAsked(a, 2, 0, later)}}},
		{"every issuer held: the last one is asked all the same (its order waits)", func() *Snapshot {
			crt := base()
			crt.Status.Revision = &one
			crt.Status.SkippedIssuers = []SkippedIssuer{heldSkip(a, 1, 0, later), heldSkip(b, 1, 0, later), heldSkip(c, 1, 0, later)}
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt)}
		}, want{create: []string{"CertificateRequest/web-2"}, requestFor: &c, event: ReasonIssuerSkipped,
			skipped: []SkippedIssuer{heldSkip(a, 1, 0, later), heldSkip(b, 1, 0, later), heldSkip(c, 1, 0, later),
				notAsked(a, 2, 0, later), notAsked(b, 2, 0, later)}}},
		{"the first CA's time has passed: it is asked again, the old skip dropped", func() *Snapshot {
			crt := base()
			crt.Status.Revision = &one
			crt.Status.SkippedIssuers = []SkippedIssuer{heldSkip(a, 1, 0, now)}
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt)}
		}, want{create: []string{"CertificateRequest/web-2"}, requestFor: &a, hasFallback: true}},
		{"issued by the second issuer: its Secret names it", func() *Snapshot {
			crt := base()
			crt.Status.SkippedIssuers = []SkippedIssuer{skipOf(a, rateLimited, 1, 0)}
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt), NextRequest: issued(reqFor(crt, b))}
		}, want{create: []string{"Secret/web-tls"}, next: now, skipped: []SkippedIssuer{skipOf(a, rateLimited, 1, 0)}, secretIssuer: "b"}},
		{"Secret holds it: revision recorded with the issuer, the skips kept to say why", func() *Snapshot {
			crt := base()
			crt.Status.SkippedIssuers = []SkippedIssuer{skipOf(a, rateLimited, 1, 0)}
			r := issued(reqFor(crt, b))
			return &Snapshot{Cert: crt, NextKey: nextKeyOf(crt), NextRequest: r, Secret: secretFrom(crt, r)}
		}, want{delete: []string{"Secret/web-next-private-key"}, next: RenewalTime(now, now.Add(90*24*time.Hour), &base().Spec, JitterKey(base())),
			skipped: []SkippedIssuer{skipOf(a, rateLimited, 1, 0)}, issuedBy: &b, event: ReasonIssued}},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.snap()
			s.Now, s.Opts = now, opts
			before := s.Cert.Status.deepCopy()
			p := decide(s)
			assert.Equal(t, before, s.Cert.Status, "the snapshot is not modified")
			assert.Equal(t, tt.want.create, names(p.Create))
			var dels []string
			for _, d := range p.Delete {
				dels = append(dels, refName(d.Ref))
			}
			assert.Equal(t, tt.want.delete, dels)
			assert.Equal(t, tt.want.next, p.Next)
			crt, ok := p.Object.(*Certificate)
			if !ok {
				crt = s.Cert
			}
			assert.Equal(t, tt.want.skipped, crt.Status.SkippedIssuers, "skipped issuers")
			assert.Equal(t, tt.want.issuedBy, crt.Status.IssuedBy, "issued by")
			got := 0
			if crt.Status.FailedIssuanceAttempts != nil {
				got = *crt.Status.FailedIssuanceAttempts
			}
			assert.Equal(t, tt.want.failures, got, "failed issuance attempts")
			var reasons []meta.Reason
			for _, e := range p.Events {
				reasons = append(reasons, e.Reason)
			}
			if tt.want.event != "" {
				assert.Contains(t, reasons, tt.want.event)
			}
			if tt.want.event != ReasonIssuerSkipped {
				assert.NotContains(t, reasons, ReasonIssuerSkipped)
			}
			for _, o := range p.Create {
				switch o := o.(type) {
				case *request.CertificateRequest:
					require.NotNil(t, tt.want.requestFor, "a request is created")
					assert.Equal(t, *tt.want.requestFor, o.Spec.IssuerRef)
					assert.Equal(t, tt.want.hasFallback, o.ObjectMeta.Annotations[request.AnnotationFallback] == "true", "fallback mark")
				case *secret.Secret:
					if tt.want.secretIssuer != "" {
						assert.Equal(t, tt.want.secretIssuer, o.ObjectMeta.Annotations[secret.AnnotationIssuerName])
					}
				}
			}
		})
	}
}

// TestReconcile_FallbackThenBackToFirst runs the reconciler through an
// issuance whose first issuer is rate limited, then a renewal with that
// issuer healthy again: the first is issued by the fallback, with no
// failure counted and the Secret naming it (no IncorrectIssuer re-issue),
// the renewal by the first issuer.
func TestReconcile_FallbackThenBackToFirst(t *testing.T) {
	h := depsForTest(t)
	crt := harnessCert("web", "web-tls", "web.example.test")
	crt.Spec.FallbackIssuerRefs = []meta.IssuerRef{{Name: "backup"}}
	crt.Default()
	h.create(crt)
	ref := meta.RefOf(crt)
	limited := true
	var asked []string
	h.passOver = func(r *request.CertificateRequest) *request.Fallback {
		asked = append(asked, r.Spec.IssuerRef.Name)
		if r.Spec.IssuerRef.Name == "ca" && limited {
			return &request.Fallback{Reason: request.ReasonRateLimited, Message: "new order: rateLimited"}
		}
		return nil
	}
	h.settle(8, ref)
	got := h.get(ref)
	require.True(t, got.Status.Conditions.IsTrue(meta.ConditionReady), "%+v", got.Status.Conditions)
	assert.Equal(t, []string{"ca", "backup"}, asked)
	require.NotNil(t, got.Status.IssuedBy)
	assert.Equal(t, "backup", got.Status.IssuedBy.Name)
	require.Len(t, got.Status.SkippedIssuers, 1)
	assert.Equal(t, request.ReasonRateLimited, got.Status.SkippedIssuers[0].Reason)
	assert.Nil(t, got.Status.FailedIssuanceAttempts, "a skip is not a failure")
	assert.True(t, h.rec.has(ref, ReasonIssuerSkipped))
	sec := &secret.Secret{}
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "web-tls"}, sec))
	assert.Equal(t, "backup", sec.ObjectMeta.Annotations[secret.AnnotationIssuerName])

	// Up to date with the fallback's certificate: nothing more is issued.
	h.settle(3, ref)
	assert.Equal(t, 1, revision(h.get(ref)))
	assert.Len(t, asked, 2)

	limited = false
	h.clock.Set(*h.get(ref).Status.RenewalTime)
	h.settle(8, ref)
	got = h.get(ref)
	assert.Equal(t, 2, revision(got))
	assert.Equal(t, []string{"ca", "backup", "ca"}, asked, "the renewal starts at the first issuer")
	require.NotNil(t, got.Status.IssuedBy)
	assert.Equal(t, "ca", got.Status.IssuedBy.Name)
	assert.Empty(t, got.Status.SkippedIssuers, "nothing was skipped in this issuance")
	require.NoError(t, h.st.Get(h.ctx, meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "web-tls"}, sec))
	assert.Equal(t, "ca", sec.ObjectMeta.Annotations[secret.AnnotationIssuerName])
}
