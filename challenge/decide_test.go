package challenge

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// TestDecide covers every branch of the challenge's decision: given a
// snapshot it returns what to write, which effect to take under which
// claim, which events to record and when to look again.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	created := now.Add(-time.Minute)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	o := Options{SelfCheckTimeout: time.Minute}.withDefaults("replica-a")
	errSolver := errors.New(`no such DNS-01 provider "acme-dns"`)

	const (
		httpPresentClaim = "challenge:uid-1:present"
		dnsPresentClaim  = "dns01:_acme-challenge.a.example.test."
		acceptClaimName  = "challenge:uid-1:accept"
	)
	presented := Status{Processing: true, Presented: true, PresentedAt: at(-10 * time.Second), State: StatePending}

	tests := []struct {
		name       string
		typ        solver.Type // HTTP-01 unless set
		status     Status
		created    *time.Time
		abandon    string
		solverErr  error
		recordName bool

		wantStatus Status
		wantWrite  bool
		wantEffect step
		wantClaim  string
		wantEvents []meta.Reason
		wantNext   time.Time
	}{
		// Final challenges: clean up once.
		{name: "final and cleaned up: nothing left",
			status:     Status{State: StateValid, CleanedUp: true},
			wantStatus: Status{State: StateValid, CleanedUp: true}},
		{name: "final and presented: clean up under the present claim",
			status:     Status{Processing: true, Presented: true, Accepted: true, State: StateInvalid, Reason: "no"},
			wantStatus: Status{Processing: true, Presented: true, Accepted: true, State: StateInvalid, Reason: "no"},
			wantEffect: stepCleanUp, wantClaim: httpPresentClaim},
		{name: "final DNS-01: clean up under the record lock",
			typ:        solver.DNS01,
			status:     Status{Processing: true, State: StateErrored},
			wantStatus: Status{Processing: true, State: StateErrored},
			wantEffect: stepCleanUp, wantClaim: dnsPresentClaim},
		{name: "final and never presented: nothing to clean up",
			status:     Status{State: StateErrored, Reason: "r"},
			wantStatus: Status{State: StateErrored, Reason: "r", CleanedUp: true}, wantWrite: true},

		// Deadlines and pacing.
		{name: "not finished within Timeout: fails and cleans up",
			created:    at(-31 * time.Minute),
			status:     Status{Processing: true, Presented: true, Accepted: true, State: StateProcessing, Reason: "slow CA"},
			wantStatus: Status{Processing: true, Presented: true, Accepted: true, State: StateErrored, Reason: "challenge not finished within 30m0s: slow CA"},
			wantWrite:  true, wantEffect: stepCleanUp, wantClaim: httpPresentClaim, wantEvents: []meta.Reason{ReasonFailed}},
		{name: "NotBefore in the future: wait for it",
			status:     Status{Processing: true, Presented: true, Accepted: true, NotBefore: at(3 * time.Second)},
			wantStatus: Status{Processing: true, Presented: true, Accepted: true, NotBefore: at(3 * time.Second)},
			wantNext:   now.Add(3 * time.Second)},

		// Accepted: the CA's verdict comes from the authorization.
		{name: "accepted: read the authorization",
			status:     Status{Processing: true, Presented: true, Accepting: true, Accepted: true, NotBefore: at(-time.Second)},
			wantStatus: Status{Processing: true, Presented: true, Accepting: true, Accepted: true, NotBefore: at(-time.Second)},
			wantEffect: stepAuthorization},
		{name: "accepted beats an abandoned order: the verdict explains more",
			abandon:    "order o1 is invalid",
			status:     Status{Processing: true, Presented: true, Accepting: true, Accepted: true},
			wantStatus: Status{Processing: true, Presented: true, Accepting: true, Accepted: true},
			wantEffect: stepAuthorization},
		{name: "accept intent on record but no outcome: read before accepting again, claimed",
			status:     Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true},
			wantStatus: Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true},
			wantEffect: stepResumeAccept, wantClaim: acceptClaimName},
		{name: "accept intent on record and the order abandoned: still resume the accept",
			abandon:    "order o1 was deleted",
			status:     Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true},
			wantStatus: Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true},
			wantEffect: stepResumeAccept, wantClaim: acceptClaimName},

		// Abandoned before the CA was asked.
		{name: "abandoned before presenting: fails, nothing to clean up",
			abandon:    "order o1 was deleted",
			wantStatus: Status{State: StateErrored, Reason: "abandoned: order o1 was deleted", CleanedUp: true},
			wantWrite:  true, wantEvents: []meta.Reason{ReasonFailed}},
		{name: "abandoned after presenting: fails and cleans up",
			abandon:    "order o1 is errored",
			status:     presented,
			wantStatus: Status{Processing: true, Presented: true, PresentedAt: at(-10 * time.Second), State: StateErrored, Reason: "abandoned: order o1 is errored"},
			wantWrite:  true, wantEffect: stepCleanUp, wantClaim: httpPresentClaim, wantEvents: []meta.Reason{ReasonFailed}},

		// Present.
		{name: "solver cannot be built: a failed attempt, retried later",
			typ: solver.DNS01, solverErr: errSolver,
			wantStatus: Status{PresentFailures: 1, Reason: "present: " + errSolver.Error(), NotBefore: at(5 * time.Second)},
			wantWrite:  true, wantEvents: []meta.Reason{ReasonPresentError}, wantNext: now.Add(5 * time.Second)},
		{name: "solver cannot be built, third time: the wait doubles",
			typ: solver.DNS01, solverErr: errSolver,
			status:     Status{PresentFailures: 2, Reason: "present: " + errSolver.Error(), NotBefore: at(-time.Second)},
			wantStatus: Status{PresentFailures: 3, Reason: "present: " + errSolver.Error(), NotBefore: at(20 * time.Second)},
			wantWrite:  true, wantEvents: []meta.Reason{ReasonPresentError}, wantNext: now.Add(20 * time.Second)},
		{name: "solver cannot be built, last attempt: fails with the reason",
			typ: solver.DNS01, solverErr: errSolver,
			status:     Status{PresentFailures: 3, Reason: "present: " + errSolver.Error()},
			wantStatus: Status{PresentFailures: 4, State: StateErrored, Reason: "gave up after 4 failed attempts to present: present: " + errSolver.Error(), CleanedUp: true},
			wantWrite:  true, wantEvents: []meta.Reason{ReasonPresentError, ReasonFailed}},
		{name: "Present failed as often as allowed: fails and cleans up",
			typ:        solver.DNS01,
			status:     Status{Processing: true, State: StatePending, PresentFailures: 4, Reason: "present: TSIG: BADSIG"},
			wantStatus: Status{Processing: true, State: StateErrored, PresentFailures: 4, Reason: "gave up after 4 failed attempts to present: present: TSIG: BADSIG"},
			wantWrite:  true, wantEffect: stepCleanUp, wantClaim: dnsPresentClaim, wantEvents: []meta.Reason{ReasonFailed}},
		{name: "solver names its record: record the name before the intent",
			typ: solver.DNS01, recordName: true,
			wantEffect: stepRecordName},
		{name: "first visit: record the intent, then present under the claim",
			wantStatus: Status{Processing: true, State: StatePending},
			wantWrite:  true, wantEffect: stepPresent, wantClaim: httpPresentClaim},
		{name: "DNS-01 first visit: present under the record lock",
			typ:        solver.DNS01,
			wantStatus: Status{Processing: true, State: StatePending},
			wantWrite:  true, wantEffect: stepPresent, wantClaim: dnsPresentClaim},
		{name: "intent on record, not presented (a crash, a busy claim, a failed attempt): present again",
			typ:        solver.DNS01,
			status:     Status{Processing: true, State: StatePending, PresentFailures: 1, NotBefore: at(-time.Second)},
			wantStatus: Status{Processing: true, State: StatePending, PresentFailures: 1, NotBefore: at(-time.Second)},
			wantEffect: stepPresent, wantClaim: dnsPresentClaim},

		// Self-check and accept.
		{name: "presented, HTTP-01: the first check runs beside the accept's claim",
			status: presented, wantStatus: presented, wantEffect: stepCheckAccept, wantClaim: acceptClaimName},
		{name: "presented, TLS-ALPN-01: the same",
			typ:    solver.TLSALPN01,
			status: presented, wantStatus: presented, wantEffect: stepCheckAccept, wantClaim: acceptClaimName},
		{name: "presented, DNS-01: self-check on its own",
			typ:    solver.DNS01,
			status: presented, wantStatus: presented, wantEffect: stepSelfCheck},
		{name: "HTTP-01 check failed before: checked again on its own, no claim",
			status:     Status{Processing: true, Presented: true, PresentedAt: at(-10 * time.Second), SelfCheckFailures: 1, Reason: "self-check: 404"},
			wantStatus: Status{Processing: true, Presented: true, PresentedAt: at(-10 * time.Second), SelfCheckFailures: 1, Reason: "self-check: 404"},
			wantEffect: stepSelfCheck},
		{name: "self-check failing before its deadline: check again",
			status:     Status{Processing: true, Presented: true, PresentedAt: at(-59 * time.Second), SelfCheckFailures: 3, Reason: "self-check: NXDOMAIN"},
			wantStatus: Status{Processing: true, Presented: true, PresentedAt: at(-59 * time.Second), SelfCheckFailures: 3, Reason: "self-check: NXDOMAIN"},
			wantEffect: stepSelfCheck},
		{name: "self-check failing at its deadline: fails and cleans up",
			status:     Status{Processing: true, Presented: true, PresentedAt: at(-time.Minute), SelfCheckFailures: 30, Reason: "self-check: NXDOMAIN"},
			wantStatus: Status{Processing: true, Presented: true, PresentedAt: at(-time.Minute), SelfCheckFailures: 30, State: StateErrored, Reason: "self-check: NXDOMAIN (gave up after 1m0s)"},
			wantWrite:  true, wantEffect: stepCleanUp, wantClaim: httpPresentClaim, wantEvents: []meta.Reason{ReasonFailed}},
		{name: "deadline passed before any check (a long outage): check once",
			typ:        solver.DNS01,
			status:     Status{Processing: true, Presented: true, PresentedAt: at(-time.Hour)},
			wantStatus: Status{Processing: true, Presented: true, PresentedAt: at(-time.Hour)},
			wantEffect: stepSelfCheck},
		{name: "self-check passed: record the intent to accept, then accept under the claim",
			status:     Status{Processing: true, Presented: true, SelfCheckPassed: true, State: StatePending},
			wantStatus: Status{Processing: true, Presented: true, SelfCheckPassed: true, Accepting: true, State: StatePending},
			wantWrite:  true, wantEffect: stepAccept, wantClaim: acceptClaimName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ := tt.typ
			if typ == "" {
				typ = solver.HTTP01
			}
			cr := &created
			if tt.created != nil {
				cr = tt.created
			}
			ch := &Challenge{
				ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "c1", UID: "uid-1", CreationTime: cr},
				Spec:       Spec{DNSName: "a.example.test", Type: typ, Token: "tok", Key: "tok.thumb"},
				Status:     tt.status,
			}
			before := *ch
			p := decide(snapshot{Challenge: ch, Now: now, Abandon: tt.abandon, SolverErr: tt.solverErr, NeedsRecordName: tt.recordName}, o)

			assert.Equal(t, before, *ch, "the snapshot is not changed")
			got, ok := p.Object.(*Challenge)
			require.True(t, ok)
			assert.Equal(t, tt.wantStatus, got.Status)
			assert.Equal(t, tt.wantWrite, p.Write, "write")
			if tt.wantEffect == "" {
				assert.Nil(t, p.Effect)
			} else if assert.NotNil(t, p.Effect) {
				assert.Equal(t, string(tt.wantEffect), p.Effect.Name)
				assert.Nil(t, p.Effect.Do, "decide names the step; the reconciler binds its I/O")
				if tt.wantClaim == "" {
					assert.Nil(t, p.Effect.Claim)
				} else if assert.NotNil(t, p.Effect.Claim) {
					assert.Equal(t, tt.wantClaim, p.Effect.Claim.Name)
					assert.Positive(t, p.Effect.Claim.TTL)
					assert.Equal(t, o.LockRetry, p.Effect.Claim.Busy)
				}
			}
			var reasons []meta.Reason
			for _, e := range p.Events {
				reasons = append(reasons, e.Reason)
			}
			assert.Equal(t, tt.wantEvents, reasons)
			assert.Equal(t, tt.wantNext, p.Next)
			assert.Empty(t, p.Create)
			assert.Empty(t, p.Delete)
		})
	}
}

func TestDecide_AcceptClaimOutlivesItsRequests(t *testing.T) {
	o := Options{AttemptTimeout: 10 * time.Second}.withDefaults("")
	c := acceptClaim(&Challenge{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "n"}}, o)
	assert.Equal(t, "challenge:ns/n:accept", c.Name, "without a UID the name identifies the challenge")
	// An effect may use 3/4 of its claim's TTL; reading the authorization
	// and accepting each take up to AttemptTimeout.
	assert.GreaterOrEqual(t, c.TTL*3/4, 2*o.AttemptTimeout)
	assert.GreaterOrEqual(t, o.LockTTL*3/4, max(o.PresentTimeout, o.CleanUpTimeout))
}
