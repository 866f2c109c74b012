package issuer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func readyCond(t *testing.T, obj Object) meta.Condition {
	t.Helper()
	c := obj.IssuerStatus().Conditions.Get(meta.ConditionReady)
	require.NotNil(t, c, "Ready condition is set")
	return *c
}

func TestReconcileSelfSignedIsReady(t *testing.T) {
	e := newEnv(t)
	iss := e.putIssuer(t, newIssuer("ns", "self", Spec{SelfSigned: &SelfSignedIssuer{}}))
	r := NewReconciler(e.deps, Options{})
	ref := meta.RefOf(iss)

	next, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.True(t, next.IsZero(), "nothing to look at again")
	got := e.getIssuer(t, ref)
	c := readyCond(t, got)
	assert.Equal(t, meta.ConditionTrue, c.Status)
	assert.Equal(t, ReasonIsReady, c.Reason)
	assert.Equal(t, got.GetMeta().Generation, c.ObservedGeneration)
	assert.True(t, c.LastTransitionTime.Equal(t0))
	assert.Equal(t, []meta.Reason{ReasonIsReady}, e.events.reasons())
}

func TestReconcileWritesOnlyOnChange(t *testing.T) {
	e := newEnv(t)
	iss := e.putIssuer(t, newIssuer("ns", "self", Spec{SelfSigned: &SelfSignedIssuer{}}))
	r := NewReconciler(e.deps, Options{})
	ref := meta.RefOf(iss)
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	rv := e.getIssuer(t, ref).GetMeta().ResourceVersion

	e.clock.Advance(time.Hour)
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.Equal(t, rv, e.getIssuer(t, ref).GetMeta().ResourceVersion, "an unchanged status is not written again")
	assert.Len(t, e.events.reasons(), 1, "and no second event")
}

func TestReconcileInvalidConfig(t *testing.T) {
	e := newEnv(t)
	iss := e.putIssuer(t, newIssuer("ns", "bad", Spec{CA: &CAIssuer{}, SelfSigned: &SelfSignedIssuer{}}))
	r := NewReconciler(e.deps, Options{})
	ref := meta.RefOf(iss)

	next, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err, "an invalid spec is recorded, not retried")
	assert.True(t, next.IsZero(), "no retry until the spec changes")
	got := e.getIssuer(t, ref)
	c := readyCond(t, got)
	assert.Equal(t, meta.ConditionFalse, c.Status)
	assert.Equal(t, ReasonInvalidConfig, c.Reason)
	assert.Contains(t, c.Message, "exactly one of acme, ca and selfSigned")
	assert.Contains(t, c.Message, "spec.ca.secretName: required")
	assert.Equal(t, got.GetMeta().Generation, c.ObservedGeneration)

	// The user fixes the spec: the Manager bumps the generation.
	fixed := got.(*Issuer)
	fixed.Spec = Spec{SelfSigned: &SelfSignedIssuer{}}
	fixed.ObjectMeta.Generation++
	require.NoError(t, e.store.Update(testCtx(t), fixed))
	_, err = r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	got = e.getIssuer(t, ref)
	c = readyCond(t, got)
	assert.Equal(t, meta.ConditionTrue, c.Status)
	assert.Equal(t, fixed.ObjectMeta.Generation, c.ObservedGeneration)
}

func TestReconcileCA(t *testing.T) {
	good := newTestCA(t, time.Time{})
	notCA := good.secretData(t, false)
	notCA["tls.crt"] = mustPEM(t, makeCert(t, certSpec{cn: "leaf"}, good.interKey, good.root, good.rootKey))
	tests := []struct {
		name    string
		data    map[string][]byte // nil: no Secret
		status  meta.ConditionStatus
		reason  meta.Reason
		message string
	}{
		{"missing secret", nil, meta.ConditionFalse, ReasonErrGetKeyPair, `Secret "ca-key-pair" not found in namespace "ns"`},
		{"not a CA", notCA, meta.ConditionFalse, ReasonErrInvalidKeyPair, `"CN=leaf" is not a CA`},
		{"good", good.secretData(t, true), meta.ConditionTrue, ReasonKeyPairVerified, "Signing CA verified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.data != nil {
				e.putSecret(t, "ns", "ca-key-pair", tt.data)
			}
			iss := e.putIssuer(t, caIssuer("ns"))
			r := NewReconciler(e.deps, Options{})
			next, err := r.Reconcile(testCtx(t), meta.RefOf(iss))
			require.NoError(t, err)
			c := readyCond(t, e.getIssuer(t, meta.RefOf(iss)))
			assert.Equal(t, tt.status, c.Status)
			assert.Equal(t, tt.reason, c.Reason)
			assert.Contains(t, c.Message, tt.message)
			if tt.status == meta.ConditionTrue {
				assert.True(t, next.Equal(good.inter.NotAfter), "look again when the CA expires")
			} else {
				assert.True(t, next.Equal(t0.Add(minBackoff)), "retry after the first backoff, got %s", next)
			}
		})
	}
}

func TestReconcileCABackoffGrowsThenRecovers(t *testing.T) {
	e := newEnv(t)
	iss := e.putIssuer(t, caIssuer("ns"))
	ref := meta.RefOf(iss)
	r := NewReconciler(e.deps, Options{})
	var delays []time.Duration
	for range 6 {
		next, err := r.Reconcile(testCtx(t), ref)
		require.NoError(t, err)
		now := e.clock.Now()
		delays = append(delays, next.Sub(now))
		e.clock.Set(next)
	}
	assert.Equal(t, []time.Duration{30 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute}, delays)

	e.putSecret(t, "ns", "ca-key-pair", newTestCA(t, time.Time{}).secretData(t, false))
	_, err := r.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	c := readyCond(t, e.getIssuer(t, ref))
	assert.Equal(t, ReasonKeyPairVerified, c.Reason)
	assert.Equal(t, []meta.Reason{ReasonErrGetKeyPair, ReasonKeyPairVerified}, e.events.reasons())
}

func TestReconcileClusterIssuerReadsClusterNamespace(t *testing.T) {
	e := newEnv(t)
	e.putSecret(t, clusterNS, "ca-key-pair", newTestCA(t, time.Time{}).secretData(t, false))
	iss := e.putIssuer(t, &ClusterIssuer{ObjectMeta: meta.ObjectMeta{Name: "ca"}, Spec: Spec{CA: &CAIssuer{SecretName: "ca-key-pair"}}})
	_, err := NewReconciler(e.deps, Options{}).Reconcile(testCtx(t), meta.RefOf(iss))
	require.NoError(t, err)
	assert.Equal(t, ReasonKeyPairVerified, readyCond(t, e.getIssuer(t, meta.RefOf(iss))).Reason)
}

func TestReconcileMissingIssuerIsNoop(t *testing.T) {
	e := newEnv(t)
	next, err := NewReconciler(e.deps, Options{}).Reconcile(testCtx(t), meta.Ref{Kind: meta.KindIssuer, Namespace: "ns", Name: "gone"})
	require.NoError(t, err)
	assert.True(t, next.IsZero())
}

// conflictStore makes every Update fail as if the object changed meanwhile.
type conflictStore struct{ store.Store }

func (conflictStore) Update(context.Context, meta.Object) error { return store.ErrConflict }

func TestReconcileReturnsConflict(t *testing.T) {
	e := newEnv(t)
	iss := e.putIssuer(t, newIssuer("ns", "self", Spec{SelfSigned: &SelfSignedIssuer{}}))
	deps := e.deps
	deps.Store = conflictStore{e.store}
	_, err := NewReconciler(deps, Options{}).Reconcile(testCtx(t), meta.RefOf(iss))
	assert.ErrorIs(t, err, store.ErrConflict, "the Manager reloads and retries")
}
