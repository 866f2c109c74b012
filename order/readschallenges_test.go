package order

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// TestReadsChallengesIsSound: wherever readsChallenges says a decision
// does not read the Order's Challenges, deciding with them and without
// them is the same decision (so a visit may skip listing them); and where
// it says it does, some Challenges change the decision (so the predicate
// cannot pass by answering false too often).
func TestReadsChallengesIsSound(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	created := now.Add(-time.Minute)
	p := policy{timeout: 10 * time.Minute, pendingPoll: 5 * time.Second, noSolverRetry: time.Minute}
	acmeCfg := &issuer.ACMEIssuer{Solvers: []solver.Config{{HTTP01: &solver.HTTP01Config{}}}}
	good := testCSR(t, "a.example.test", "a.example.test")
	authz := func(st State) Authorization {
		return Authorization{URL: "https://ca/authz/1", Identifier: "a.example.test", InitialState: st,
			Challenges: []ACMEChallenge{{URL: "https://ca/chal/1", Token: "tok", Type: "http-01"}}}
	}
	chal := func(state challenge.State, cleaned bool) []*challenge.Challenge {
		return []*challenge.Challenge{{
			ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o-chal", ResourceVersion: "7"},
			Spec:       challenge.Spec{AuthorizationURL: "https://ca/authz/1", Type: solver.HTTP01},
			Status:     challenge.Status{State: state, Reason: "r", Presented: true, CleanedUp: cleaned},
		}}
	}
	chSets := [][]*challenge.Challenge{
		chal(challenge.StatePending, false), chal(challenge.StateValid, false), chal(challenge.StateValid, true),
		chal(challenge.StateInvalid, true),
	}
	states := []State{StateUnknown, StatePending, StateReady, StateProcessing, StateValid, StateInvalid, StateExpired, StateErrored}
	differs := map[State]bool{}
	for _, state := range states {
		for _, url := range []string{"", "https://ca/order/1"} {
			for _, finalizing := range []bool{false, true} {
				for _, az := range []State{StateUnknown, StatePending, StateValid} {
					o := Order{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "o", UID: "u1", CreationTime: &created},
						Spec: Spec{Request: good},
						Status: Status{URL: url, FinalizeURL: "https://ca/finalize/1", State: state, Finalizing: finalizing,
							Authorizations: []Authorization{authz(az)}}}
					name := fmt.Sprintf("%s/url=%t/finalizing=%t/authz=%s", state, url != "", finalizing, az)
					snap := func(chs []*challenge.Challenge) snapshot {
						return snapshot{Order: o, Issuer: meta.Ref{Kind: meta.KindIssuer, Namespace: "ns", Name: "acme"},
							ACME: acmeCfg, Thumbprint: "tp", Challenges: chs, Now: now}
					}
					without := summary(p.decide(snap(nil)))
					reads := readsChallenges(&o)
					for _, chs := range chSets {
						with := summary(p.decide(snap(chs)))
						if !reads {
							assert.Equal(t, without, with, "%s: decided differently on Challenges it is not to read", name)
						} else if with != without {
							differs[state] = true
						}
					}
				}
			}
		}
	}
	require.True(t, differs[StatePending], "a pending order's decision reads its Challenges")
	require.True(t, differs[StateValid], "a valid order's decision reads its Challenges")
}

// summary is what a decision does, comparable.
func summary(d decision) string {
	o := d.plan.Object.(*Order)
	return fmt.Sprintf("step=%v write=%t create=%d delete=%d next=%v state=%s reason=%q finalizing=%t",
		d.step, d.plan.Write, len(d.plan.Create), len(d.plan.Delete), d.plan.Next, o.Status.State, o.Status.Reason, o.Status.Finalizing)
}
