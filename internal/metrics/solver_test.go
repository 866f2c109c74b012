package metrics

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/solver"
)

type plain struct{ presentErr error }

func (p plain) Present(context.Context, solver.Challenge) error { return p.presentErr }
func (plain) CleanUp(context.Context, solver.Challenge) error   { return nil }

type checking struct{ plain }

func (checking) Check(context.Context, solver.Challenge) error { return errors.New("not yet") }

type naming struct{ plain }

func (naming) RecordName(context.Context, solver.Challenge) (string, error) { return "x.", nil }

type both struct{ plain }

func (both) Check(context.Context, solver.Challenge) error                { return nil }
func (both) RecordName(context.Context, solver.Challenge) (string, error) { return "y.", nil }

// served marks a solver as StoreServed, for every combination of the
// other abilities.
type (
	servedPlain    struct{ plain }
	servedChecking struct{ checking }
	servedNaming   struct{ naming }
	servedBoth     struct{ both }
)

func (servedPlain) ServedFromStore()    {}
func (servedChecking) ServedFromStore() {}
func (servedNaming) ServedFromStore()   {}
func (servedBoth) ServedFromStore()     {}

// unwrapping is a user's wrapper around a solver, with only an Unwrap
// method: what it does around the solver it wraps may reach outside the
// Store.
type unwrapping struct{ solver.Solver }

func (u unwrapping) Unwrap() solver.Solver { return u.Solver }

func TestSolverFor_KeepsOptionalAbilitiesExactly(t *testing.T) {
	r := newRig(t)
	for _, s := range []solver.Solver{
		plain{}, checking{}, naming{}, both{},
		servedPlain{}, servedChecking{}, servedNaming{}, servedBoth{},
	} {
		wrapped, err := r.m.SolverFor(func(context.Context, *challenge.Challenge) (solver.Solver, error) { return s, nil })(
			r.ctx, challengeObj("a", solver.HTTP01, challenge.StatePending))
		require.NoError(t, err)
		_, wantChecker := s.(solver.Checker)
		_, wantNamer := s.(solver.RecordNamer)
		_, gotChecker := wrapped.(solver.Checker)
		_, gotNamer := wrapped.(solver.RecordNamer)
		_, wantServed := s.(solver.StoreServed)
		_, gotServed := wrapped.(solver.StoreServed)
		assert.Equal(t, wantChecker, gotChecker, "%T Checker", s)
		assert.Equal(t, wantNamer, gotNamer, "%T RecordNamer", s)
		assert.Equal(t, wantServed, gotServed, "%T StoreServed", s)
		if c, ok := wrapped.(solver.Checker); ok {
			assert.Equal(t, s.(solver.Checker).Check(r.ctx, solver.Challenge{}), c.Check(r.ctx, solver.Challenge{}))
		}
	}
}

// A built-in solver timed is still StoreServed (the timing declares it
// because the built-in does) and still checks; a provider timed is not, and
// neither is a user's wrapper around a built-in that only unwraps.
func TestSolverFor_KeepsStoreServedVisible(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		s      solver.Solver
		served bool
	}{
		{solver.HTTP01Solver{}, true},
		{solver.TLSALPN01Solver{}, true},
		{plain{}, false},
		{both{}, false},
		{unwrapping{solver.HTTP01Solver{}}, false},
	} {
		wrapped, err := r.m.SolverFor(func(context.Context, *challenge.Challenge) (solver.Solver, error) { return tc.s, nil })(
			r.ctx, challengeObj("a", solver.HTTP01, challenge.StatePending))
		require.NoError(t, err)
		assert.Equal(t, tc.served, solver.IsStoreServed(tc.s), "%T unwrapped", tc.s)
		assert.Equal(t, tc.served, solver.IsStoreServed(wrapped), "%T timed", tc.s)
		_, wantChecks := tc.s.(solver.Checker)
		_, checks := wrapped.(solver.Checker)
		assert.Equal(t, wantChecks, checks, "%T timed checks", tc.s)
	}
}

func TestSolverFor_TimesPresentAndCleanUp(t *testing.T) {
	r := newRig(t)
	failing := plain{presentErr: errors.New("TSIG refused")}
	solverFor := r.m.SolverFor(func(_ context.Context, ch *challenge.Challenge) (solver.Solver, error) {
		if ch.Spec.Type == solver.DNS01 {
			return failing, nil
		}
		return plain{}, nil
	})
	dns := challengeObj("d", solver.DNS01, challenge.StatePending)
	dns.Spec.Solver.DNS01 = &solver.DNS01Config{RFC2136: &solver.RFC2136Config{Nameserver: "127.0.0.1"}}
	for _, ch := range []*challenge.Challenge{challengeObj("h", solver.HTTP01, challenge.StatePending), dns} {
		s, err := solverFor(r.ctx, ch)
		require.NoError(t, err)
		_ = s.Present(r.ctx, ch.Info())
		require.NoError(t, s.CleanUp(r.ctx, ch.Info()))
	}
	_, err := r.m.SolverFor(func(context.Context, *challenge.Challenge) (solver.Solver, error) {
		return nil, errors.New("no provider")
	})(r.ctx, dns)
	require.Error(t, err)

	assert.Equal(t, map[string]float64{
		`{operation="present",provider="",result="success",type="HTTP-01"}`:       1,
		`{operation="cleanup",provider="",result="success",type="HTTP-01"}`:       1,
		`{operation="present",provider="rfc2136",result="error",type="DNS-01"}`:   1,
		`{operation="cleanup",provider="rfc2136",result="success",type="DNS-01"}`: 1,
	}, gather(t, r.m)["certflow_solver_operation_duration_seconds"].samples)
}

func TestSelfCheck_TimesOnlySolversThatCheck(t *testing.T) {
	r := newRig(t)
	check := r.m.SelfCheck(func(ctx context.Context, ch *challenge.Challenge, s solver.Solver) error {
		if c, ok := s.(solver.Checker); ok {
			return c.Check(ctx, ch.Info())
		}
		return nil
	})
	dns := challengeObj("d", solver.DNS01, challenge.StatePending)
	require.Error(t, check(r.ctx, dns, checking{}))
	require.NoError(t, check(r.ctx, dns, both{}))
	require.NoError(t, check(r.ctx, challengeObj("h", solver.HTTP01, challenge.StatePending), plain{}))

	assert.Equal(t, map[string]float64{
		`{result="failed",type="DNS-01"}`: 1,
		`{result="passed",type="DNS-01"}`: 1,
	}, gather(t, r.m)["certflow_challenge_self_check_duration_seconds"].samples)
}
