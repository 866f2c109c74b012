package order

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

func testCSR(t *testing.T, cn string, dnsNames ...string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn}, DNSNames: dnsNames}, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// TestDecide covers every branch of the order's decision, one row each.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	created := now.Add(-time.Minute)
	later := now.Add(3 * time.Second)
	muchLater := now.Add(time.Hour)
	p := policy{timeout: 10 * time.Minute, pendingPoll: 5 * time.Second, noSolverRetry: time.Minute}
	acmeCfg := &issuer.ACMEIssuer{Solvers: []solver.Config{{HTTP01: &solver.HTTP01Config{}}}}
	good := testCSR(t, "a.example.test", "a.example.test")
	pendingAuthz := Authorization{URL: "https://ca/authz/1", Identifier: "a.example.test", InitialState: StatePending,
		Challenges: []ACMEChallenge{{URL: "https://ca/chal/1", Token: "tok", Type: "http-01"}}}
	wildAuthz := Authorization{URL: "https://ca/authz/2", Identifier: "w.example.test", Wildcard: true, InitialState: StatePending,
		Challenges: []ACMEChallenge{{URL: "https://ca/chal/2", Token: "tok2", Type: "dns-01"}}}
	ipAuthz := Authorization{URL: "https://ca/authz/3", Identifier: "192.0.2.1", InitialState: StatePending,
		Challenges: []ACMEChallenge{{URL: "https://ca/chal/3", Token: "tok3", Type: "http-01"}, {URL: "https://ca/chal/4", Token: "tok4", Type: "tls-alpn-01"}}}
	chal := func(state challenge.State, reason string, cleaned bool) *challenge.Challenge {
		return &challenge.Challenge{
			ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o-chal", ResourceVersion: "7"},
			Spec:       challenge.Spec{AuthorizationURL: pendingAuthz.URL, Type: solver.HTTP01},
			Status:     challenge.Status{State: state, Reason: reason, Presented: true, CleanedUp: cleaned},
		}
	}
	base := func(st Status) Order {
		return Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o", UID: "u1", CreationTime: &created},
			Spec: Spec{Request: good}, Status: st}
	}
	withURL := func(state State, azs ...Authorization) Status {
		return Status{URL: "https://ca/order/1", FinalizeURL: "https://ca/finalize/1", State: state, Authorizations: azs}
	}

	tests := []struct {
		name string
		o    Order
		acme *issuer.ACMEIssuer
		chs  []*challenge.Challenge

		step      step
		write     bool
		state     State
		reason    string // substring of the written reason
		event     meta.Reason
		next      time.Time
		creates   int
		deletes   int
		finalizes bool
		problem   *Problem // the Problem recorded, when one is
		hold      time.Time
	}{
		{name: "valid: cleaned-up challenges are deleted", o: base(withURL(StateValid)),
			chs: []*challenge.Challenge{chal(challenge.StateValid, "", true), chal(challenge.StateValid, "", false)}, state: StateValid, deletes: 1},
		{name: "invalid: nothing more", o: base(withURL(StateInvalid)), state: StateInvalid},
		{name: "errored: nothing more", o: base(withURL(StateErrored)), state: StateErrored},
		{name: "timed out names the last reason", o: func() Order {
			o := base(withURL(StatePending, pendingAuthz))
			o.Status.Reason = "get order: urn:ietf:params:acme:error:serverInternal: boom"
			old := now.Add(-10 * time.Minute)
			o.ObjectMeta.CreationTime = &old
			return o
		}(), acme: acmeCfg, write: true, state: StateErrored, reason: `order not valid within 10m0s (last state "pending"): get order: urn:ietf:params:acme:error:serverInternal`, event: ReasonTimeout},
		// Once a finalize may have reached the CA, the timeout is never
		// decided blindly: the order is read (under the finalize claim) and
		// fails only on what the CA answers.
		{name: "timed out while finalizing: read the order, do not fail", o: func() Order {
			o := base(withURL(StateReady, pendingAuthz))
			o.Status.Finalizing = true
			old := now.Add(-11 * time.Minute)
			o.ObjectMeta.CreationTime = &old
			return o
		}(), acme: acmeCfg, step: stepGetOrder, state: StateReady, finalizes: true},
		{name: "timed out while processing: read the order, do not fail", o: func() Order {
			o := base(withURL(StateProcessing, pendingAuthz))
			old := now.Add(-11 * time.Minute)
			o.ObjectMeta.CreationTime = &old
			return o
		}(), acme: acmeCfg, step: stepGetOrder, state: StateProcessing},
		{name: "timed out while finalizing and polling: wait for the poll, not the deadline", o: func() Order {
			o := base(withURL(StateProcessing, pendingAuthz))
			o.Status.Finalizing = true
			o.Status.NotBefore = &later
			old := now.Add(-11 * time.Minute)
			o.ObjectMeta.CreationTime = &old
			return o
		}(), acme: acmeCfg, state: StateProcessing, finalizes: true, next: later},
		{name: "timed out while ready and never finalized: fail", o: func() Order {
			o := base(withURL(StateReady, pendingAuthz))
			old := now.Add(-11 * time.Minute)
			o.ObjectMeta.CreationTime = &old
			return o
		}(), acme: acmeCfg, write: true, state: StateErrored, reason: `order not valid within 10m0s (last state "ready")`, event: ReasonTimeout},
		{name: "issuer not ACME", o: base(Status{}), write: true, state: StateErrored, reason: "is not an ACME issuer", event: ReasonFailed},
		{name: "backing off until NotBefore", o: func() Order {
			o := base(Status{NotBefore: &later})
			return o
		}(), acme: acmeCfg, next: later},
		{name: "backing off past the deadline: look again at the deadline", o: func() Order {
			o := base(Status{NotBefore: &muchLater})
			return o
		}(), acme: acmeCfg, next: created.Add(10 * time.Minute)},
		{name: "no ACME order yet: newOrder", o: base(Status{}), acme: acmeCfg, step: stepNewOrder},
		{name: "no ACME order yet, account rate limited: not sent, says so, waits", o: base(Status{}), acme: acmeCfg, hold: later,
			write: true, reason: "new order: rate limited by the CA, retrying at", event: ReasonRetry, next: later,
			problem: &Problem{Op: opNewOrder, Type: acmeproto.ProblemRateLimited, HTTPStatus: 429,
				Detail: "not sent: the CA asked this account to wait until " + later.UTC().Format(time.RFC3339)}},
		{name: "no ACME order yet, rate limit recorded: wait without writing", o: func() Order {
			o := base(Status{NotBefore: &later, Problem: &Problem{Op: opNewOrder, Type: acmeproto.ProblemRateLimited}})
			return o
		}(), acme: acmeCfg, hold: later, next: later},
		{name: "account rate limit over: newOrder", o: base(Status{}), acme: acmeCfg, hold: now, step: stepNewOrder},
		{name: "commonName outside the SANs is refused before ordering", o: func() Order {
			o := base(Status{})
			o.Spec.Request = testCSR(t, "other.example.test", "a.example.test")
			return o
		}(), acme: acmeCfg, write: true, state: StateErrored, reason: "new order: ", event: ReasonFailed},
		{name: "authorizations not read yet", o: base(withURL(StatePending, Authorization{URL: "https://ca/authz/1"})), acme: acmeCfg, step: stepAuthorizations, state: StatePending},
		{name: "finalize on record: read the order, never finalize again", o: func() Order {
			o := base(withURL(StateReady, pendingAuthz))
			o.Status.Finalizing = true
			return o
		}(), acme: acmeCfg, step: stepGetOrder, state: StateReady, finalizes: true},
		{name: "ready: record the intent, then finalize", o: base(withURL(StateReady, pendingAuthz)), acme: acmeCfg,
			step: stepFinalize, write: true, state: StateReady, finalizes: true},
		{name: "processing: poll", o: base(withURL(StateProcessing, pendingAuthz)), acme: acmeCfg, step: stepGetOrder, state: StateProcessing},
		{name: "pending without challenge: create it", o: base(withURL(StatePending, pendingAuthz)), acme: acmeCfg,
			write: true, state: StatePending, reason: "waiting for 1 challenge(s)", creates: 1, next: now.Add(5 * time.Second)},
		{name: "pending challenge: wait for it", o: func() Order {
			o := base(withURL(StatePending, pendingAuthz))
			o.Status.Reason = "waiting for 1 challenge(s)"
			return o
		}(), acme: acmeCfg, chs: []*challenge.Challenge{chal(challenge.StatePending, "", false)}, state: StatePending, next: now.Add(5 * time.Second)},
		// Every authorization valid makes the order ready (RFC 8555
		// §7.1.6): finalize without asking the CA first.
		{name: "every challenge valid: record the intent, then finalize", o: func() Order {
			o := base(withURL(StatePending, pendingAuthz))
			o.Status.Reason = "waiting for 1 challenge(s)"
			return o
		}(), acme: acmeCfg, chs: []*challenge.Challenge{chal(challenge.StateValid, "", true)},
			step: stepFinalize, write: true, state: StatePending, finalizes: true},
		{name: "authorization valid from the start: record the intent, then finalize", o: func() Order {
			az := pendingAuthz
			az.InitialState = StateValid
			return base(withURL(StatePending, az))
		}(), acme: acmeCfg, step: stepFinalize, write: true, state: StatePending, finalizes: true},
		{name: "finalize refused as not ready: ask the CA until it is", o: func() Order {
			o := base(withURL(StatePending, pendingAuthz))
			o.Status.Problem = &Problem{Op: opFinalize, Type: acmeproto.ProblemOrderNotReady, HTTPStatus: 403, Attempts: 1}
			return o
		}(), acme: acmeCfg, chs: []*challenge.Challenge{chal(challenge.StateValid, "", true)}, step: stepGetOrder, state: StatePending},
		{name: "challenge invalid: order invalid with its reason", o: base(withURL(StatePending, pendingAuthz)), acme: acmeCfg,
			chs:   []*challenge.Challenge{chal(challenge.StateInvalid, "unauthorized: wrong key", true)},
			write: true, state: StateInvalid, reason: `HTTP-01 challenge for "a.example.test": unauthorized: wrong key`, event: ReasonFailed},
		{name: "challenge invalid with the CA's problem: kept as the order's problem", o: base(withURL(StatePending, pendingAuthz)), acme: acmeCfg,
			chs: []*challenge.Challenge{func() *challenge.Challenge {
				ch := chal(challenge.StateInvalid, "caa: CAA record forbids", true)
				ch.Status.Problem = &challenge.Problem{Type: acmeproto.ProblemCAA, Detail: "CAA record forbids"}
				return ch
			}()},
			write: true, state: StateInvalid, reason: "CAA record forbids", event: ReasonFailed,
			problem: &Problem{Op: opValidate, Type: acmeproto.ProblemCAA, Detail: "CAA record forbids", Attempts: 1, Refused: true}},
		{name: "challenge errored: order errored", o: base(withURL(StatePending, pendingAuthz)), acme: acmeCfg,
			chs:   []*challenge.Challenge{chal(challenge.StateErrored, "self-check: timeout", true)},
			write: true, state: StateErrored, reason: "self-check: timeout", event: ReasonFailed},
		{name: "no solver: say why, look again later", o: base(withURL(StatePending, wildAuthz)), acme: acmeCfg,
			write: true, state: StatePending, reason: "wildcards need a DNS-01 solver", event: ReasonSolver, next: now.Add(time.Minute)},
		{name: "no solver for an IP address: say DNS-01 cannot validate it", o: base(withURL(StatePending, ipAuthz)),
			acme:  &issuer.ACMEIssuer{Solvers: []solver.Config{{DNS01: &solver.DNS01Config{}}}},
			write: true, state: StatePending, reason: "IP addresses need an HTTP-01 or TLS-ALPN-01 solver; RFC 8738 allows no DNS-01",
			event: ReasonSolver, next: now.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.o
			d := p.decide(snapshot{Order: tt.o, Issuer: meta.Ref{Kind: meta.KindIssuer, Namespace: "ns", Name: "acme"},
				ACME: tt.acme, Thumbprint: "thumb", Challenges: tt.chs, Now: now, AccountHold: tt.hold})
			assert.Equal(t, tt.step, d.step)
			assert.Equal(t, tt.write, d.plan.Write, "write")
			got := d.plan.Object.(*Order)
			assert.Equal(t, tt.state, got.Status.State)
			if tt.reason != "" {
				assert.Contains(t, got.Status.Reason, tt.reason)
			}
			if tt.event != "" {
				require.Len(t, d.plan.Events, 1)
				assert.Equal(t, tt.event, d.plan.Events[0].Reason)
			} else {
				assert.Empty(t, d.plan.Events)
			}
			assert.True(t, tt.next.Equal(d.plan.Next), "next: want %v, got %v", tt.next, d.plan.Next)
			assert.Len(t, d.plan.Create, tt.creates)
			assert.Len(t, d.plan.Delete, tt.deletes)
			assert.Equal(t, tt.finalizes, got.Status.Finalizing)
			if tt.problem != nil {
				assert.Equal(t, tt.problem, got.Status.Problem)
			}
			if tt.state.IsFinal() && tt.write {
				assert.NotNil(t, got.Status.FailureTime)
			}
			assert.Equal(t, before.Status.State, tt.o.Status.State, "the snapshot is not changed")
			for _, c := range d.plan.Create {
				ch := c.(*challenge.Challenge)
				assert.Equal(t, "tok.thumb", ch.Spec.Key, "key authorization")
				assert.Equal(t, []meta.Ref{meta.RefOf(got)}, ch.ObjectMeta.OwnerRefs)
			}
		})
	}
}

func TestStateFor(t *testing.T) {
	for in, want := range map[acmeproto.Status]State{
		acmeproto.StatusPending: StatePending, acmeproto.StatusReady: StateReady, acmeproto.StatusProcessing: StateProcessing,
		acmeproto.StatusValid: StateValid, acmeproto.StatusInvalid: StateInvalid, acmeproto.StatusExpired: StateExpired,
		acmeproto.StatusDeactivated: StateExpired, acmeproto.StatusRevoked: StateExpired, "bogus": StateErrored,
	} {
		assert.Equal(t, want, stateFor(in), string(in))
	}
}
