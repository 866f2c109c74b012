package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

func cert(ns, name string, ref meta.IssuerRef) *certificate.Certificate {
	return &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: name},
		Spec:       certificate.Spec{SecretName: name + "-tls", DNSNames: []string{name + ".example.test"}, IssuerRef: ref},
	}
}

func ready(status meta.ConditionStatus) meta.Conditions {
	return meta.Conditions{{Type: meta.ConditionReady, Status: status, Reason: "Test"}}
}

func TestCertificateGauges_FollowTheStoredStatus(t *testing.T) {
	r := newRig(t)
	ref := meta.IssuerRef{Name: "le", Kind: meta.KindClusterIssuer, Group: "cert-manager.io"}
	r.create(cert("default", "pending", ref))
	issued := cert("shop", "www", meta.IssuerRef{Name: "ca"})
	notBefore, notAfter, renewal := epoch.Add(-time.Hour), epoch.Add(90*24*time.Hour), epoch.Add(60*24*time.Hour)
	issued.Status = certificate.Status{Conditions: ready(meta.ConditionTrue), NotBefore: &notBefore, NotAfter: &notAfter, RenewalTime: &renewal}
	r.create(issued)

	got := gather(t, r.m)
	const pendingLabels = `issuer_group="cert-manager.io",issuer_kind="ClusterIssuer",issuer_name="le",name="pending",namespace="default"`
	const wwwLabels = `issuer_group="",issuer_kind="",issuer_name="ca",name="www",namespace="shop"`
	assert.Equal(t, map[string]float64{
		`{condition="False",` + pendingLabels + `}`:   0,
		`{condition="True",` + pendingLabels + `}`:    0,
		`{condition="Unknown",` + pendingLabels + `}`: 1, // no Ready condition yet
		`{condition="False",` + wwwLabels + `}`:       0,
		`{condition="True",` + wwwLabels + `}`:        1,
		`{condition="Unknown",` + wwwLabels + `}`:     0,
	}, got["certmanager_certificate_ready_status"].samples)
	for name, want := range map[string]float64{
		"certmanager_certificate_expiration_timestamp_seconds": float64(notAfter.Unix()),
		"certmanager_certificate_not_after_timestamp_seconds":  float64(notAfter.Unix()),
		"certmanager_certificate_not_before_timestamp_seconds": float64(notBefore.Unix()),
		"certmanager_certificate_renewal_timestamp_seconds":    float64(renewal.Unix()),
	} {
		f := got[name]
		assert.Equal(t, dto.MetricType_GAUGE, f.typ, name)
		assert.Equal(t, map[string]float64{"{" + pendingLabels + "}": 0, "{" + wwwLabels + "}": want}, f.samples, name)
	}

	// A renewal moves the timestamps; a deletion removes the series.
	cur := &certificate.Certificate{}
	require.NoError(t, r.store.Get(r.ctx, meta.RefOf(issued), cur))
	later := notAfter.Add(30 * 24 * time.Hour)
	cur.Status.NotAfter = &later
	cur.Status.Conditions = ready(meta.ConditionFalse)
	r.update(cur)
	r.del(meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "pending"})
	got = gather(t, r.m)
	assert.Equal(t, map[string]float64{"{" + wwwLabels + "}": float64(later.Unix())},
		got["certmanager_certificate_expiration_timestamp_seconds"].samples)
	assert.Equal(t, 1.0, got["certmanager_certificate_ready_status"].samples[`{condition="False",`+wwwLabels+`}`])
	assert.Len(t, got["certmanager_certificate_ready_status"].samples, 3)
}

func TestIssuerGauges_IssuerAndClusterIssuer(t *testing.T) {
	r := newRig(t)
	r.create(&issuer.Issuer{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "ca"},
		Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}, Status: issuer.Status{Conditions: ready(meta.ConditionTrue)}})
	r.create(&issuer.ClusterIssuer{ObjectMeta: meta.ObjectMeta{Name: "le"},
		Spec: issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}}, Status: issuer.Status{Conditions: ready(meta.ConditionFalse)}})

	got := gather(t, r.m)
	assert.Equal(t, map[string]float64{
		`{condition="True",name="ca",namespace="default"}`:    1,
		`{condition="False",name="ca",namespace="default"}`:   0,
		`{condition="Unknown",name="ca",namespace="default"}`: 0,
	}, got["certmanager_issuer_ready_status"].samples)
	assert.Equal(t, map[string]float64{
		`{condition="True",name="le"}`: 0, `{condition="False",name="le"}`: 1, `{condition="Unknown",name="le"}`: 0,
	}, got["certmanager_clusterissuer_ready_status"].samples)
}

func challengeObj(name string, typ solver.Type, state challenge.State) *challenge.Challenge {
	return &challenge.Challenge{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: name},
		Spec:       challenge.Spec{DNSName: name + ".example.test", Type: typ, Token: "t", Key: "k"},
		Status:     challenge.Status{State: state, Processing: state == challenge.StatePending, Reason: "why " + name},
	}
}

func TestChallengeAndOrderGauges(t *testing.T) {
	r := newRig(t)
	r.create(challengeObj("a", solver.DNS01, challenge.StatePending))
	r.create(challengeObj("b", solver.HTTP01, challenge.StateValid))
	r.create(challengeObj("c", solver.HTTP01, challenge.StateValid))
	for name, st := range map[string]order.State{"o1": order.StatePending, "o2": order.StateValid, "o3": order.StateUnknown} {
		r.create(&order.Order{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: name}, Status: order.Status{State: st}})
	}

	got := gather(t, r.m)
	status := got["certmanager_certificate_challenge_status"].samples
	assert.Len(t, status, 3*8, "every challenge reports cert-manager's eight statuses")
	const aLabels = `domain="a.example.test",name="a",namespace="default",processing="true",reason="why a"`
	for _, s := range []string{"", "ready", "valid", "errored", "expired", "invalid", "processing"} {
		assert.Equal(t, 0.0, status[`{`+aLabels+`,status="`+s+`",type="DNS-01"}`], s)
	}
	assert.Equal(t, 1.0, status[`{`+aLabels+`,status="pending",type="DNS-01"}`])

	challenges := got["certflow_challenges"].samples
	assert.Len(t, challenges, 8*3, "every state and type, zeros included")
	assert.Equal(t, 2.0, challenges[`{state="valid",type="HTTP-01"}`])
	assert.Equal(t, 1.0, challenges[`{state="pending",type="DNS-01"}`])
	assert.Equal(t, 0.0, challenges[`{state="unknown",type="TLS-ALPN-01"}`])

	orders := got["certflow_orders"].samples
	assert.Len(t, orders, 8)
	assert.Equal(t, 1.0, orders[`{state="pending"}`])
	assert.Equal(t, 1.0, orders[`{state="valid"}`])
	assert.Equal(t, 1.0, orders[`{state="unknown"}`])
	assert.Equal(t, 0.0, orders[`{state="errored"}`])
}

func TestResynced_DropsWhatVanishedWhileNoWatchRan(t *testing.T) {
	r := newRig(t)
	r.create(cert("default", "kept", meta.IssuerRef{Name: "ca"}))
	r.create(cert("default", "gone", meta.IssuerRef{Name: "ca"}))
	require.Len(t, gather(t, r.m)["certmanager_certificate_expiration_timestamp_seconds"].samples, 2)

	// Deleted and created behind the watch's back: only a re-list tells.
	require.NoError(t, r.store.Delete(r.ctx, meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "gone"}, ""))
	require.NoError(t, r.store.Create(r.ctx, cert("default", "new", meta.IssuerRef{Name: "ca"})))
	res, err := r.store.List(r.ctx, store.ListOptions{})
	require.NoError(t, err)
	r.m.Resynced(res.Items)

	assert.Equal(t, map[string]float64{
		`{issuer_group="",issuer_kind="",issuer_name="ca",name="kept",namespace="default"}`: 0,
		`{issuer_group="",issuer_kind="",issuer_name="ca",name="new",namespace="default"}`:  0,
	}, gather(t, r.m)["certmanager_certificate_expiration_timestamp_seconds"].samples)
}

// failingReader fails every Get while fail is set.
type failingReader struct {
	store.Reader
	fail bool
	gets int
}

var errStoreDown = errors.New("store down")

func (f *failingReader) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	f.gets++
	if f.fail {
		return errStoreDown
	}
	return f.Reader.Get(ctx, ref, into)
}

func TestRefresh_ReadsOnlyChangedObjects_AndKeepsValuesWhenTheStoreFails(t *testing.T) {
	r := newRig(t)
	fr := &failingReader{Reader: r.store}
	r.m = New(Options{Clock: r.clock, Store: fr})
	c := cert("default", "www", meta.IssuerRef{Name: "ca"})
	notAfter := epoch.Add(time.Hour)
	c.Status.NotAfter = &notAfter
	r.create(c)
	const key = `{issuer_group="",issuer_kind="",issuer_name="ca",name="www",namespace="default"}`
	const name = "certmanager_certificate_expiration_timestamp_seconds"
	require.Equal(t, float64(notAfter.Unix()), gather(t, r.m)[name].samples[key])
	require.Equal(t, 1, fr.gets)

	gather(t, r.m)
	assert.Equal(t, 1, fr.gets, "an unchanged object is not read again")

	cur := &certificate.Certificate{}
	require.NoError(t, r.store.Get(r.ctx, meta.RefOf(c), cur))
	later := notAfter.Add(time.Hour)
	cur.Status.NotAfter = &later
	r.update(cur)
	fr.fail = true
	assert.Equal(t, float64(notAfter.Unix()), gather(t, r.m)[name].samples[key], "the last known value stays")
	fr.fail = false
	assert.Equal(t, float64(later.Unix()), gather(t, r.m)[name].samples[key], "read again at the next scrape")
}

func TestChanged_IgnoresKindsWithoutGauges(t *testing.T) {
	r := newRig(t)
	r.m.Changed(meta.Ref{Kind: meta.KindSecret, Namespace: "default", Name: "www-tls"})
	r.m.Changed(meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "www-1"})
	assert.Zero(t, r.m.objects.dirty.len())
}

// TestCollect_EmitsCertificatesInTheRegistrysOrder keeps sortCerts honest:
// the registry sorts each family of each scrape, and only a family that
// already arrives in its order sorts in linear time.
func TestCollect_EmitsCertificatesInTheRegistrysOrder(t *testing.T) {
	r := newRig(t)
	for _, c := range []*certificate.Certificate{
		cert("b", "www", meta.IssuerRef{Name: "le"}),
		cert("a", "www", meta.IssuerRef{Name: "le"}),
		cert("b", "aaa", meta.IssuerRef{Name: "le"}), // name sorts before namespace
		cert("a", "api", meta.IssuerRef{Name: "le", Kind: meta.KindIssuer}),
		cert("a", "zzz", meta.IssuerRef{Name: "ca", Kind: meta.KindClusterIssuer}),
		cert("c", "www", meta.IssuerRef{Name: "le", Group: "cert-manager.io"}),
		cert("a", "mmm", meta.IssuerRef{Name: "aa"}),
	} {
		if c.ObjectMeta.Name != "api" {
			ready := ready(meta.ConditionFalse)
			c.Status.Conditions = ready
		}
		r.create(c)
	}
	gathered := map[string][]string{}
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(r.m))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			gathered[mf.GetName()] = append(gathered[mf.GetName()], labelKey(m.GetLabel()))
		}
	}
	emitted := map[string][]string{}
	ch := make(chan prometheus.Metric)
	go func() { r.m.Collect(ch); close(ch) }()
	for m := range ch {
		pb := &dto.Metric{}
		require.NoError(t, m.Write(pb))
		name := descName(m.Desc())
		emitted[name] = append(emitted[name], labelKey(pb.GetLabel()))
	}
	for _, name := range []string{"certmanager_certificate_ready_status", "certmanager_certificate_expiration_timestamp_seconds",
		"certmanager_certificate_not_before_timestamp_seconds", "certmanager_certificate_renewal_timestamp_seconds"} {
		require.Len(t, emitted[name], len(gathered[name]), name)
		assert.Equal(t, gathered[name], emitted[name], name)
	}
}

// descName extracts fqName from a Desc's String form.
func descName(d *prometheus.Desc) string {
	s := d.String()
	i := strings.Index(s, `fqName: "`) + len(`fqName: "`)
	return s[i : i+strings.Index(s[i:], `"`)]
}
