package rfc2136

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/certflow/certflow/solver"
)

// Provider builds RFC 2136 solvers from issuer configuration; register it
// with the Manager under the name "rfc2136". The zero value works.
type Provider struct {
	// Checker is given to every Solver built, for Check. If nil, each
	// Solver checks only its own nameserver.
	Checker PropagationChecker
	// Timeout bounds one update exchange. If 0, DefaultTimeout.
	Timeout time.Duration
}

var _ solver.DNS01Provider = Provider{}

// NewSolver reads the TSIG secret named by cfg.RFC2136.TSIGSecretSecretRef
// through secrets (when a key name is set) and returns a *Solver.
func (p Provider) NewSolver(ctx context.Context, cfg solver.DNS01Config, namespace string, secrets solver.Secrets) (solver.Solver, error) {
	rc := cfg.RFC2136
	if rc == nil {
		return nil, fmt.Errorf("%w: no rfc2136 section", ErrInvalidConfig)
	}
	// The issuer's validation rules (cert-manager's webhook): a key name
	// needs a complete secret reference and the reverse, a nameserver in
	// host:port form, a supported algorithm.
	if ps := solver.ValidateDNS01(solver.DNS01Config{RFC2136: rc}); len(ps) > 0 {
		sentinel := ErrInvalidConfig
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = p.Field + ": " + p.Msg
			if p.Field == "rfc2136.tsigAlgorithm" {
				sentinel = ErrUnsupportedAlgorithm
			}
		}
		return nil, fmt.Errorf("%w: %s", sentinel, strings.Join(msgs, "; "))
	}
	var secret Secret
	if rc.TSIGKeyName != "" {
		ref := rc.TSIGSecretSecretRef
		if ref.Name == "" {
			return nil, fmt.Errorf("%w: tsigKeyName %s without tsigSecretSecretRef", ErrInvalidConfig, rc.TSIGKeyName)
		}
		if secrets == nil {
			return nil, fmt.Errorf("%w: no Secrets to read the TSIG secret from", ErrInvalidConfig)
		}
		b, err := secrets.SecretValue(ctx, namespace, ref)
		if err != nil {
			return nil, fmt.Errorf("rfc2136: read TSIG secret %s/%s key %q: %w", namespace, ref.Name, ref.Key, err)
		}
		secret = Secret(strings.TrimSpace(string(b)))
	}
	s, err := New(Config{
		Nameserver:    rc.Nameserver,
		Zone:          rc.Zone,
		TSIGKeyName:   rc.TSIGKeyName,
		TSIGAlgorithm: rc.TSIGAlgorithm,
		TSIGSecret:    secret,
		Protocol:      rc.Protocol,
		Timeout:       p.Timeout,
		Checker:       p.Checker,
	})
	if err != nil {
		return nil, err // never a typed nil inside the interface
	}
	return s, nil
}
