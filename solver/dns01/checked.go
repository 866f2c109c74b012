package dns01

import (
	"context"
	"fmt"

	"github.com/certflow/certflow/solver"
)

// Checked wraps a DNS-01 provider's Solver with what every provider needs
// and few implement: the authoritative propagation check, and (follow) the
// CNAME chain from _acme-challenge to where the record is really written, as
// cert-manager's cnameStrategy Follow does.
func Checked(s solver.Solver, c *Checker, follow bool) solver.Solver {
	return &checked{inner: s, checker: c, follow: follow}
}

type checked struct {
	inner   solver.Solver
	checker *Checker
	follow  bool
}

var (
	_ solver.Solver      = (*checked)(nil)
	_ solver.Checker     = (*checked)(nil)
	_ solver.RecordNamer = (*checked)(nil)
)

// RecordName is where Present writes: the CNAME target when following.
func (s *checked) RecordName(ctx context.Context, ch solver.Challenge) (string, error) {
	ch, err := s.resolve(ctx, ch)
	if err != nil {
		return "", err
	}
	return ch.RecordName(), nil
}

func (s *checked) resolve(ctx context.Context, ch solver.Challenge) (solver.Challenge, error) {
	if !s.follow || ch.ResolvedFQDN != "" {
		return ch, nil
	}
	name, err := s.checker.EffectiveName(ctx, ch.DNS01Name())
	if err != nil {
		return ch, fmt.Errorf("dns01: follow CNAME of %s: %w", ch.DNS01Name(), err)
	}
	ch.ResolvedFQDN = name
	return ch, nil
}

// Present writes the record at the CNAME target when following.
func (s *checked) Present(ctx context.Context, ch solver.Challenge) error {
	ch, err := s.resolve(ctx, ch)
	if err != nil {
		return err
	}
	return s.inner.Present(ctx, ch)
}

// CleanUp removes the record where Present wrote it.
func (s *checked) CleanUp(ctx context.Context, ch solver.Challenge) error {
	ch, err := s.resolve(ctx, ch)
	if err != nil {
		return err
	}
	return s.inner.CleanUp(ctx, ch)
}

// Check asks every authoritative nameserver of the record's zone.
func (s *checked) Check(ctx context.Context, ch solver.Challenge) error {
	ch, err := s.resolve(ctx, ch)
	if err != nil {
		return err
	}
	return s.checker.Check(ctx, ch.RecordName(), ch.DNS01Value())
}
