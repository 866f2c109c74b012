package route53

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/keylock"
	"github.com/certflow/certflow/solver"
)

// Provider builds Route 53 Solvers from issuers' configurations; register it
// with the Manager under "route53". The zero value uses the SDK's endpoints,
// HTTP client and default credential chain. Every Solver it builds shares
// one set of per-record-name locks, so two challenges on one name never
// interleave their read-modify-write even when the Manager builds a Solver
// per challenge. A Provider must not be copied after first use.
type Provider struct {
	// BaseEndpoint, if not empty, is the Route 53 endpoint URL used instead
	// of the SDK's (tests, VPC endpoints, proxies).
	BaseEndpoint string
	// STSBaseEndpoint, if not empty, is the STS endpoint URL used to assume
	// Route53Config.Role instead of the SDK's.
	STSBaseEndpoint string
	// HTTPClient, if nil, is the SDK's default HTTP client.
	HTTPClient aws.HTTPClient
	// Clock times the INSYNC wait. If nil, clock.Real is used.
	Clock clock.Clock
	// PollInterval is the pause between GetChange calls. If zero,
	// DefaultPollInterval is used.
	PollInterval time.Duration
	// Timeout bounds the wait for INSYNC. If zero, DefaultTimeout is used.
	Timeout time.Duration
	// RetryMaxAttempts bounds the SDK's attempts per API call. If zero, the
	// SDK's default (3) is used.
	RetryMaxAttempts int
	// DisableAmbientCredentials refuses configurations without static keys
	// instead of falling back to the SDK's default chain (environment,
	// shared files, web identity, instance roles) — cert-manager's default
	// for namespaced Issuers. If false, ambient credentials are allowed.
	DisableAmbientCredentials bool
	// LoadOptions are appended to the options given to
	// config.LoadDefaultConfig, after the ones derived from the issuer's
	// configuration. If nil, none are added.
	LoadOptions []func(*config.LoadOptions) error

	locks keylock.Locks
}

var _ solver.DNS01Provider = (*Provider)(nil)

// NewSolver builds a Solver for cfg.Route53, reading secret references from
// namespace through secrets (which may be nil when there are none).
func (p *Provider) NewSolver(ctx context.Context, cfg solver.DNS01Config, namespace string, secrets solver.Secrets) (solver.Solver, error) {
	if cfg.Route53 == nil {
		return nil, fmt.Errorf("%w: route53 is not set", ErrInvalidConfig)
	}
	awsCfg, err := p.awsConfig(ctx, *cfg.Route53, namespace, secrets)
	if err != nil {
		return nil, err
	}
	client := route53.NewFromConfig(awsCfg, func(o *route53.Options) {
		if p.BaseEndpoint != "" {
			o.BaseEndpoint = aws.String(p.BaseEndpoint)
		}
	})
	s, err := New(Config{
		Client:       client,
		HostedZoneID: cfg.Route53.HostedZoneID,
		Clock:        p.Clock,
		PollInterval: p.PollInterval,
		Timeout:      p.Timeout,
	})
	if err != nil {
		return nil, err
	}
	s.locks = &p.locks
	return s, nil
}
