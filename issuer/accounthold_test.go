package issuer

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// recordHold is the decision to record the account's hold in the status:
// only a hold still to come, later than the recorded one, of the account
// the status describes.
func TestRecordHold(t *testing.T) {
	now := time.Unix(1e9, 0).UTC()
	earlier, later := now.Add(time.Minute), now.Add(2*time.Minute)
	tests := []struct {
		name     string
		recorded *time.Time
		statusOf string // LastPrivateKeyHash
		hold     time.Time
		want     *time.Time
	}{
		{"no hold", nil, "h", time.Time{}, nil},
		{"a hold already over", nil, "h", now, nil},
		{"a hold still to come is recorded", nil, "h", later, &later},
		{"a later one replaces the recorded one", &earlier, "h", later, &later},
		{"an earlier one does not", &later, "h", earlier, &later},
		{"another account's status is left alone", nil, "other", later, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := newIssuer("default", "acme", Spec{ACME: &ACMEIssuer{Server: "https://ca.test/dir"}})
			iss.Status.ACME = &ACMEStatus{URI: "https://ca.test/acct/1", LastPrivateKeyHash: tt.statusOf, HeldUntil: tt.recorded}
			recordHold(iss, "h", tt.hold, now)
			assert.Equal(t, tt.want, iss.Status.ACME.HeldUntil)
		})
	}
}

// A process that never met the 429 (restarted, another replica) holds an
// account whose issuer's status records a hold: no slot, and HeldUntil
// says until when, until the time has passed.
func TestACMEClients_HoldFromTheStatus(t *testing.T) {
	clk := clock.NewFake(time.Unix(1e9, 0))
	c := NewACMEClients(reconcile.Deps{Clock: clk}, Options{})
	until := clk.Now().Add(time.Minute)
	iss := newIssuer("default", "acme", Spec{ACME: &ACMEIssuer{Server: "https://ca.test/dir"}})
	iss.Status.ACME = &ACMEStatus{URI: "https://ca.test/acct/1", LastPrivateKeyHash: "h", HeldUntil: &until}

	assert.Equal(t, until, c.HeldUntil(iss))
	_, at, ok := c.Slot(iss, "k", nil)
	assert.False(t, ok, "no slot while held")
	assert.Equal(t, until, at)

	clk.Set(until)
	assert.True(t, c.HeldUntil(iss).IsZero())
	release, _, ok := c.Slot(iss, "k", nil)
	require.True(t, ok)
	release()
}

// A 429 from the CA that extends the account's hold asks for the
// account's issuers (only those) to be reconciled, so their status
// records it; requests within the hold, answered locally, ask nothing.
func TestACMEClients_HoldEnqueuesTheAccountsIssuers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	clk := clock.NewFake(time.Unix(1e9, 0))
	var mu sync.Mutex
	var enqueued []meta.Ref
	c := NewACMEClients(reconcile.Deps{Clock: clk}, Options{Enqueue: func(ref meta.Ref) {
		mu.Lock()
		defer mu.Unlock()
		enqueued = append(enqueued, ref)
	}})
	ref := meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}
	other := meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "other"}
	id := accountID(srv.URL, "h")
	c.byRef[ref] = &clientEntry{account: id}
	c.byRef[other] = &clientEntry{account: accountID(srv.URL, "other-key")}
	hc := &http.Client{Transport: c.gate(id).transport(http.DefaultTransport)}
	get := func() {
		res, err := hc.Get(srv.URL)
		require.NoError(t, err)
		_ = res.Body.Close()
		require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	}

	get()
	assert.Equal(t, []meta.Ref{ref}, enqueued, "only the issuers of the held account")
	get()
	assert.Len(t, enqueued, 1, "a request within the hold is answered locally and asks nothing")
	assert.Equal(t, clk.Now().Add(time.Minute), c.gate(id).wait(clk.Now()))
}

// A Manager started while the issuer's status records a hold (restarted,
// or another replica) does not confirm the account at the CA before the
// hold ends: that would be a request before the CA's time. It keeps the
// issuer Ready and looks again when the hold ends.
func TestReconcile_NoAccountLookupWhileHeld(t *testing.T) {
	srv := acmetest.NewServer(t)
	e := newEnv(t)
	ref := meta.RefOf(e.putIssuer(t, acmeIssuer(srv, "ops@example.com")))
	_, err := NewReconciler(e.deps, Options{HTTPClient: srv.Client()}).Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	held := e.getIssuer(t, ref).(*Issuer)
	until := e.clock.Now().Add(time.Minute).UTC()
	held.Status.ACME.HeldUntil = &until
	require.NoError(t, e.store.Update(testCtx(t), held))
	before := acmeRequests(srv)

	restarted := NewReconciler(e.deps, Options{HTTPClient: srv.Client()})
	next, err := restarted.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.Equal(t, before, acmeRequests(srv), "nothing sent to the held account")
	assert.True(t, next.Equal(until), "looks again when the hold ends, next=%s", next)
	assert.Equal(t, meta.ConditionTrue, readyCond(t, e.getIssuer(t, ref)).Status)
	assert.Equal(t, until, restarted.HeldUntil(e.getIssuer(t, ref)))

	e.clock.Set(until)
	_, err = restarted.Reconcile(testCtx(t), ref)
	require.NoError(t, err)
	assert.Equal(t, before+1, acmeRequests(srv), "the account is confirmed once the hold ended")
}
