package certificate

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
)

// TestDecide walks one issuance through decide as a table: each row is a
// snapshot and the plan it must produce. No Store, clock or network is
// involved; the Certificate in the snapshot is never modified.
func TestDecide(t *testing.T) {
	now := harnessEpoch
	key := testKey(t, "decide-ec", "ECDSA", 256)
	otherSpecKey := testKey(t, "ec-384", "ECDSA", 384)
	opts := Options{BackoffMin: time.Hour, BackoffMax: 32 * time.Hour}

	base := func() *Certificate {
		c := harnessCert("web", "web-tls", "web.example.test")
		c.ObjectMeta.Generation = 1
		c.ObjectMeta.Labels = map[string]string{LabelSecretName: "web-tls"}
		return c
	}
	withKey := func(c *Certificate) *secret.Secret {
		s := newNextKeySecret(c, nil)
		s.ObjectMeta.ResourceVersion = "7"
		s.Data = map[string][]byte{secret.TLSKeyKey: pemOf(t, key)}
		return s
	}
	reqFor := func(c *Certificate) *request.CertificateRequest {
		r := newRequest(c, &nextKey{name: nextKeyName(c), key: key})
		r.Spec.Request = csrFor(t, key, &c.Spec)
		r.ObjectMeta.ResourceVersion = "9"
		return r
	}
	issued := func(c *Certificate) *request.CertificateRequest {
		r := reqFor(c)
		h := depsForTest(t)
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
	failed := func(c *Certificate) *request.CertificateRequest {
		r := reqFor(c)
		at := now.Add(-time.Minute)
		r.Status.FailureTime = &at
		r.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionFalse, Reason: request.ReasonFailed, Message: "CA said no"})
		return r
	}

	type want struct {
		object  string // kind/name of the plan's object
		write   bool
		create  []string
		delete  []string
		next    time.Time
		ready   meta.ConditionStatus
		reason  meta.Reason
		revised bool
		// issuing is the Issuing condition's status afterwards, if checked.
		issuing meta.ConditionStatus
	}
	rows := []struct {
		name string
		snap func() *Snapshot
		want want
	}{
		{"new certificate: store a next key, then the request made with it", func() *Snapshot {
			return &Snapshot{Cert: base()}
		}, want{object: "Certificate/web", write: true, create: []string{"Secret/web-next-private-key", "CertificateRequest/web-1"},
			ready: meta.ConditionFalse, reason: ReasonDoesNotExist}},
		{"stored without its secret-name label: label it and nothing else, so siblings always see it", func() *Snapshot {
			c := base()
			c.ObjectMeta.Labels = nil
			return &Snapshot{Cert: c}
		}, want{object: "Certificate/web", write: true, next: now}},
		{"next key stored: create the request", func() *Snapshot {
			c := base()
			return &Snapshot{Cert: c, NextKey: withKey(c)}
		}, want{object: "Certificate/web", write: true, create: []string{"CertificateRequest/web-1"},
			ready: meta.ConditionFalse, reason: ReasonDoesNotExist}},
		{"next key for another key spec (a replica's race): delete it, look again", func() *Snapshot {
			c := base()
			k := withKey(c)
			k.Data[secret.TLSKeyKey] = pemOf(t, otherSpecKey)
			return &Snapshot{Cert: c, NextKey: k}
		}, want{object: "Certificate/web", write: true, delete: []string{"Secret/web-next-private-key"}, next: now,
			ready: meta.ConditionFalse, reason: ReasonDoesNotExist}},
		{"request for an older spec: delete it", func() *Snapshot {
			c := base()
			old := base()
			old.Spec.DNSNames = []string{"old.example.test"}
			return &Snapshot{Cert: c, NextKey: withKey(c), NextRequest: reqFor(old)}
		}, want{object: "Certificate/web", delete: []string{"CertificateRequest/web-1"}, next: now}},
		{"request in progress: wait for it", func() *Snapshot {
			c := base()
			return &Snapshot{Cert: c, NextKey: withKey(c), NextRequest: reqFor(c)}
		}, want{object: "Certificate/web", write: true, ready: meta.ConditionFalse, reason: ReasonDoesNotExist}},
		{"request issued, no Secret yet: create it", func() *Snapshot {
			c := base()
			return &Snapshot{Cert: c, NextKey: withKey(c), NextRequest: issued(c)}
		}, want{object: "Certificate/web", create: []string{"Secret/web-tls"}, next: now}},
		{"request failed: count it, back off 1h from its failure", func() *Snapshot {
			c := base()
			return &Snapshot{Cert: c, NextKey: withKey(c), NextRequest: failed(c)}
		}, want{object: "Certificate/web", write: true, next: now.Add(-time.Minute).Add(time.Hour),
			ready: meta.ConditionFalse, reason: ReasonDoesNotExist}},
		{"manual renewal whose request failed: count it, the trigger is spent, back off", func() *Snapshot {
			c := base()
			MarkManualRenewal(c, now.Add(-2*time.Minute))
			return &Snapshot{Cert: c, NextKey: withKey(c), NextRequest: failed(c)}
		}, want{object: "Certificate/web", write: true, next: now.Add(-time.Minute).Add(time.Hour),
			ready: meta.ConditionFalse, reason: ReasonDoesNotExist, issuing: meta.ConditionFalse}},
		{"renewed by hand after a counted failure: retry at once", func() *Snapshot {
			c := base()
			r := failed(c)
			one := 1
			c.Status.FailedIssuanceAttempts, c.Status.LastFailureTime = &one, r.Status.FailureTime
			MarkManualRenewal(c, now)
			return &Snapshot{Cert: c, NextKey: withKey(c), NextRequest: r}
		}, want{object: "Certificate/web", write: true, delete: []string{"CertificateRequest/web-1"}, next: now,
			ready: meta.ConditionFalse, reason: ReasonDoesNotExist, issuing: meta.ConditionTrue}},
		{"not the owner of a shared Secret: say so, look again in 3 minutes", func() *Snapshot {
			c := base()
			older := base()
			older.ObjectMeta.Name = "older"
			created := now.Add(-time.Hour)
			older.ObjectMeta.CreationTime = &created
			c.ObjectMeta.CreationTime = &now
			return &Snapshot{Cert: c, Siblings: []*Certificate{older}}
		}, want{object: "Certificate/web", write: true, next: now.Add(3 * time.Minute),
			ready: meta.ConditionFalse, reason: ReasonDuplicateSecretName}},
		{"not the owner, with an issuance started before it met its sibling: stop it", func() *Snapshot {
			c := base()
			older := base()
			older.ObjectMeta.Name = "older"
			created := now.Add(-time.Hour)
			older.ObjectMeta.CreationTime = &created
			c.ObjectMeta.CreationTime = &now
			return &Snapshot{Cert: c, Siblings: []*Certificate{older}, NextKey: withKey(c), NextRequest: reqFor(c)}
		}, want{object: "Certificate/web", write: true, next: now.Add(3 * time.Minute),
			delete: []string{"CertificateRequest/web-1", "Secret/web-next-private-key"},
			ready:  meta.ConditionFalse, reason: ReasonDuplicateSecretName}},
		{"invalid spec: say so, do nothing else", func() *Snapshot {
			c := base()
			c.Spec.DNSNames = []string{"*.*.example.test"}
			return &Snapshot{Cert: c}
		}, want{object: "Certificate/web", write: true, ready: meta.ConditionFalse, reason: ReasonInvalid}},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.snap()
			s.Now, s.Opts = now, opts
			before := *s.Cert
			before.Status = s.Cert.Status.deepCopy()
			p := decide(s)
			assert.Equal(t, before.Status, s.Cert.Status, "the snapshot is not modified")
			assert.Equal(t, tt.want.object, refName(meta.RefOf(p.Object)))
			assert.Equal(t, tt.want.write, p.Write)
			assert.Equal(t, tt.want.create, names(p.Create))
			var dels []string
			for _, d := range p.Delete {
				dels = append(dels, refName(d.Ref))
			}
			assert.Equal(t, tt.want.delete, dels)
			assert.Equal(t, tt.want.next, p.Next)
			if tt.want.ready != "" {
				c := p.Object.(*Certificate).Status.Conditions.Get(meta.ConditionReady)
				require.NotNil(t, c)
				assert.Equal(t, tt.want.ready, c.Status)
				assert.Equal(t, tt.want.reason, c.Reason)
			}
			if tt.want.issuing != "" {
				c := p.Object.(*Certificate).Status.Conditions.Get(meta.ConditionIssuing)
				require.NotNil(t, c)
				assert.Equal(t, tt.want.issuing, c.Status)
			}
		})
	}
}

// TestDecide_RenewalWritesSecretThenRevision drives a renewal plan by plan:
// the issued certificate is written into the stored Secret by a plan whose
// object is the Secret (a compare-and-swap write), and only once the Secret
// holds it is the revision recorded.
func TestDecide_RenewalWritesSecretThenRevision(t *testing.T) {
	h := depsForTest(t)
	c := harnessCert("web", "web-tls", "web.example.test")
	h.create(c)
	ref := meta.RefOf(c)
	h.settle(6, ref)
	require.Equal(t, 1, revision(h.get(ref)))
	h.clock.Set(*h.get(ref).Status.RenewalTime)

	var objects []string
	for i := 0; i < 10 && revision(h.get(ref)) < 2; i++ {
		snap, err := h.r.load(h.ctx, ref)
		require.NoError(t, err)
		require.NotNil(t, snap.CurrentRequest, "the request behind the current Secret is known")
		p := decide(snap)
		objects = append(objects, refName(meta.RefOf(p.Object)))
		_, err = prepare(snap, &p, nil)
		require.NoError(t, err)
		_, err = reconcile.Execute(h.ctx, h.deps, p)
		require.NoError(t, err)
		h.signPending()
	}
	assert.Equal(t, 2, revision(h.get(ref)))
	assert.Contains(t, objects, "Secret/web-tls", "the Secret is updated by its own plan")
	assert.Equal(t, "Certificate/web", objects[len(objects)-1], "the revision is recorded last")
}

func refName(r meta.Ref) string { return string(r.Kind) + "/" + r.Name }

func names(objs []meta.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, refName(meta.RefOf(o)))
	}
	return out
}

func TestSecretNameLabel_FitsALabelValue(t *testing.T) {
	assert.Equal(t, "web-tls", secretNameLabel("web-tls"))
	long := strings.Repeat("a", 64)
	l := secretNameLabel(long)
	assert.LessOrEqual(t, len(l), 63)
	assert.Equal(t, l, secretNameLabel(long), "deterministic")
	assert.NotEqual(t, l, secretNameLabel(strings.Repeat("b", 64)))
}

// Siblings are listed on every visit until the Secret names this
// Certificate: an older one may start naming the Secret while this one is
// mid-issuance, and must stop it.
func TestNeedSiblings(t *testing.T) {
	c := harnessCert("web", "web-tls", "web.example.test")
	annotated := func(name string) *secret.Secret {
		return &secret.Secret{ObjectMeta: meta.ObjectMeta{Name: "web-tls",
			Annotations: map[string]string{secret.AnnotationCertificateName: name}}}
	}
	assert.True(t, needSiblings(c, nil), "no Secret yet, even mid-issuance")
	assert.True(t, needSiblings(c, &secret.Secret{}), "a Secret naming no Certificate")
	assert.True(t, needSiblings(c, annotated("other")), "a Secret naming another Certificate")
	assert.False(t, needSiblings(c, annotated("web")), "the Secret names this Certificate: ownership is settled")
}
