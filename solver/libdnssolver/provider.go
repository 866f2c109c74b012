package libdnssolver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/certflow/certflow/solver"
)

// Provider is a solver.DNS01Provider that solves with one libdns provider,
// whatever the issuer. Register it with the Manager under the webhook
// solverName that issuers use in dns01.webhook. The zero value is not
// usable: build one with NewProvider.
type Provider struct {
	cfg Config
}

var _ solver.DNS01Provider = (*Provider)(nil)

// NewProvider validates cfg (as New does) and returns a Provider.
func NewProvider(cfg Config) (*Provider, error) {
	if _, err := New(cfg); err != nil {
		return nil, err
	}
	return &Provider{cfg: cfg}, nil
}

// webhookConfig is the part of dns01.webhook.config this package reads.
type webhookConfig struct {
	// Zone, if not empty, overrides the Provider's zone for this issuer.
	Zone string `json:"zone,omitempty"`
}

// NewSolver returns a Solver over the Provider's libdns provider. The
// issuer's dns01.webhook.config may set {"zone": "example.com."} to fix the
// zone for that issuer; other keys are ignored, and namespace and secrets are
// not used (the libdns provider carries its own credentials).
func (p *Provider) NewSolver(_ context.Context, cfg solver.DNS01Config, _ string, _ solver.Secrets) (solver.Solver, error) {
	c := p.cfg
	if cfg.Webhook != nil && len(bytes.TrimSpace(cfg.Webhook.Config)) > 0 {
		var wc webhookConfig
		if err := json.Unmarshal(cfg.Webhook.Config, &wc); err != nil {
			return nil, fmt.Errorf("%w: webhook config: %w", ErrInvalidConfig, err)
		}
		if wc.Zone != "" {
			c.Zone = wc.Zone
		}
	}
	return New(c)
}
