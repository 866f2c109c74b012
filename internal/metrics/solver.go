package metrics

import (
	"context"
	"time"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/solver"
)

// SolverFor wraps f so that the Present and CleanUp calls of every solver
// it returns are timed. The solvers keep their optional abilities
// (solver.Checker, solver.RecordNamer, solver.StoreServed), which the
// challenge reconciler discovers by type assertion.
func (m *Metrics) SolverFor(f challenge.SolverFunc) challenge.SolverFunc {
	return func(ctx context.Context, ch *challenge.Challenge) (solver.Solver, error) {
		s, err := f(ctx, ch)
		if err != nil {
			return nil, err
		}
		provider := ""
		if ch.Spec.Type == solver.DNS01 && ch.Spec.Solver.DNS01 != nil {
			provider = ch.Spec.Solver.DNS01.Provider()
		}
		return m.timedSolver(s, string(ch.Spec.Type), provider), nil
	}
}

// timedSolver returns s timed, with exactly s's optional abilities. The
// timing itself changes nothing outside the Store, so the result is
// StoreServed when s is: IsStoreServed does not look through wrappers.
func (m *Metrics) timedSolver(s solver.Solver, typ, provider string) solver.Solver {
	t := &timedSolver{inner: s, m: m, typ: typ, provider: provider}
	if served, ok := s.(solver.StoreServed); ok {
		return withServedAbilities(t, served)
	}
	c, checker := s.(solver.Checker)
	n, namer := s.(solver.RecordNamer)
	switch {
	case checker && namer:
		return struct {
			*timedSolver
			solver.Checker
			solver.RecordNamer
		}{t, c, n}
	case checker:
		return struct {
			*timedSolver
			solver.Checker
		}{t, c}
	case namer:
		return struct {
			*timedSolver
			solver.RecordNamer
		}{t, n}
	}
	return t
}

// withServedAbilities is timedSolver's switch for an inner solver that is
// StoreServed (the built-in HTTP-01 and TLS-ALPN-01 solvers, both
// Checkers).
func withServedAbilities(t *timedSolver, served solver.StoreServed) solver.Solver {
	c, checker := t.inner.(solver.Checker)
	n, namer := t.inner.(solver.RecordNamer)
	switch {
	case checker && namer:
		return struct {
			*timedSolver
			solver.StoreServed
			solver.Checker
			solver.RecordNamer
		}{t, served, c, n}
	case checker:
		return struct {
			*timedSolver
			solver.StoreServed
			solver.Checker
		}{t, served, c}
	case namer:
		return struct {
			*timedSolver
			solver.StoreServed
			solver.RecordNamer
		}{t, served, n}
	}
	return struct {
		*timedSolver
		solver.StoreServed
	}{t, served}
}

type timedSolver struct {
	inner         solver.Solver
	m             *Metrics
	typ, provider string
}

func (s *timedSolver) Present(ctx context.Context, ch solver.Challenge) error {
	// Wall time, not the Manager's clock: a latency measured, not a decision.
	start := time.Now() // wall time: a latency measured, not a decision
	err := s.inner.Present(ctx, ch)
	s.observe("present", start, err)
	return err
}

func (s *timedSolver) CleanUp(ctx context.Context, ch solver.Challenge) error {
	start := time.Now() // a latency measured, as in Present
	err := s.inner.CleanUp(ctx, ch)
	s.observe("cleanup", start, err)
	return err
}

func (s *timedSolver) observe(op string, start time.Time, err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	s.m.solverOps.WithLabelValues(op, s.typ, s.provider, result).Observe(time.Since(start).Seconds())
}

// SelfCheck wraps f so that each self-check attempt of a solver that has
// one (solver.Checker) is timed by challenge type and result; for DNS-01
// that is the propagation check.
func (m *Metrics) SelfCheck(f challenge.SelfCheckFunc) challenge.SelfCheckFunc {
	return func(ctx context.Context, ch *challenge.Challenge, s solver.Solver) error {
		if _, ok := s.(solver.Checker); !ok {
			return f(ctx, ch, s)
		}
		start := time.Now() // wall time: a latency measured, not a decision
		err := f(ctx, ch, s)
		result := "passed"
		if err != nil {
			result = "failed"
		}
		m.selfChecks.WithLabelValues(string(ch.Spec.Type), result).Observe(time.Since(start).Seconds())
		return err
	}
}
