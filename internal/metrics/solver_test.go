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

func TestSolverFor_KeepsOptionalAbilitiesExactly(t *testing.T) {
	r := newRig(t)
	for _, s := range []solver.Solver{plain{}, checking{}, naming{}, both{}} {
		wrapped, err := r.m.SolverFor(func(context.Context, *challenge.Challenge) (solver.Solver, error) { return s, nil })(
			r.ctx, challengeObj("a", solver.HTTP01, challenge.StatePending))
		require.NoError(t, err)
		_, wantChecker := s.(solver.Checker)
		_, wantNamer := s.(solver.RecordNamer)
		_, gotChecker := wrapped.(solver.Checker)
		_, gotNamer := wrapped.(solver.RecordNamer)
		assert.Equal(t, wantChecker, gotChecker, "%T Checker", s)
		assert.Equal(t, wantNamer, gotNamer, "%T RecordNamer", s)
		if c, ok := wrapped.(solver.Checker); ok {
			assert.Equal(t, s.(solver.Checker).Check(r.ctx, solver.Challenge{}), c.Check(r.ctx, solver.Challenge{}))
		}
	}
}

// A wrapped built-in solver is still seen as StoreServed (through
// Unwrap), and a wrapped provider is not.
func TestSolverFor_KeepsStoreServedVisible(t *testing.T) {
	r := newRig(t)
	for _, s := range []solver.Solver{solver.HTTP01Solver{}, solver.TLSALPN01Solver{}, plain{}, both{}} {
		wrapped, err := r.m.SolverFor(func(context.Context, *challenge.Challenge) (solver.Solver, error) { return s, nil })(
			r.ctx, challengeObj("a", solver.HTTP01, challenge.StatePending))
		require.NoError(t, err)
		assert.Equal(t, solver.IsStoreServed(s), solver.IsStoreServed(wrapped), "%T", s)
	}
	assert.True(t, solver.IsStoreServed(solver.HTTP01Solver{}))
	assert.False(t, solver.IsStoreServed(plain{}))
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
