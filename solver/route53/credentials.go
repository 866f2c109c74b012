package route53

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/certflow/certflow/solver"
)

// defaultRegion signs requests when neither the config nor the environment
// names a region; Route 53 is a global service homed in us-east-1.
const defaultRegion = "us-east-1"

// roleSessionName names the STS session of an assumed role in CloudTrail.
const roleSessionName = "certflow"

// awsConfig resolves region and credentials as cert-manager does: static keys
// when configured (the access key ID literal or from a Secret, the secret
// key from a Secret), else the SDK's default chain; then, if Role is set,
// credentials of that role assumed with the former.
func (p *Provider) awsConfig(ctx context.Context, c solver.Route53Config, namespace string, secrets solver.Secrets) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if p.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(p.HTTPClient))
	}
	if p.RetryMaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(p.RetryMaxAttempts))
	}
	static, err := staticCredentials(ctx, c, namespace, secrets)
	if err != nil {
		return aws.Config{}, err
	}
	switch {
	case static != nil:
		opts = append(opts, config.WithCredentialsProvider(static))
	case p.DisableAmbientCredentials:
		return aws.Config{}, fmt.Errorf("%w: no access key configured and ambient credentials are disabled", ErrInvalidConfig)
	}
	opts = append(opts, p.LoadOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("route53: load AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	if c.Role != "" {
		stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if p.STSBaseEndpoint != "" {
				o.BaseEndpoint = aws.String(p.STSBaseEndpoint)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, c.Role,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = roleSessionName }))
	}
	return cfg, nil
}

// staticCredentials returns the configured static keys, or nil if none are
// configured. Errors name the Secret, never its value.
func staticCredentials(ctx context.Context, c solver.Route53Config, namespace string, secrets solver.Secrets) (aws.CredentialsProvider, error) {
	// The combinations cert-manager refuses (its webhook and its provider),
	// checked where the issuer's validation checks them.
	if ps := solver.ValidateDNS01(solver.DNS01Config{Route53: &c}); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = p.Field + ": " + p.Msg
		}
		return nil, fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(msgs, "; "))
	}
	if c.AccessKeyID == "" && c.AccessKeyIDSecretRef == nil {
		return nil, nil
	}
	keyID := strings.TrimSpace(c.AccessKeyID)
	if c.AccessKeyIDSecretRef != nil {
		v, err := secretValue(ctx, secrets, namespace, "accessKeyIDSecretRef", *c.AccessKeyIDSecretRef)
		if err != nil {
			return nil, err
		}
		keyID = v
	}
	secret, err := secretValue(ctx, secrets, namespace, "secretAccessKeySecretRef", *c.SecretAccessKeySecretRef)
	if err != nil {
		return nil, err
	}
	return credentials.NewStaticCredentialsProvider(keyID, secret, ""), nil
}

func secretValue(ctx context.Context, secrets solver.Secrets, namespace, field string, ref solver.SecretKeySelector) (string, error) {
	if secrets == nil {
		return "", fmt.Errorf("%w: %s is set but no Secrets reader was given", ErrInvalidConfig, field)
	}
	b, err := secrets.SecretValue(ctx, namespace, ref)
	if err != nil {
		return "", fmt.Errorf("route53: read %s (secret %s/%s key %q): %w", field, namespace, ref.Name, ref.Key, err)
	}
	// Secrets are often written with a trailing newline; cert-manager trims too.
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("%w: %s (secret %s/%s key %q) is empty", ErrInvalidConfig, field, namespace, ref.Name, ref.Key)
	}
	return v, nil
}
