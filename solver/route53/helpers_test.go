package route53_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/route53"
	"github.com/certflow/certflow/solver/route53/route53test"
)

const (
	testKeyID  = "AKIDTESTSTATIC"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY-must-never-leak"
)

// memSecrets is a solver.Secrets over a map keyed "namespace/name/key".
type memSecrets map[string]string

func (m memSecrets) SecretValue(_ context.Context, namespace string, ref solver.SecretKeySelector) ([]byte, error) {
	v, ok := m[namespace+"/"+ref.Name+"/"+ref.Key]
	if !ok {
		return nil, fmt.Errorf("secret %s/%s has no key %q", namespace, ref.Name, ref.Key)
	}
	return []byte(v), nil
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testProvider talks to srv with fast polling and no SDK retries.
func testProvider(srv *route53test.Server) *route53.Provider {
	return &route53.Provider{
		BaseEndpoint:     srv.URL(),
		STSBaseEndpoint:  srv.URL(),
		PollInterval:     time.Millisecond,
		Timeout:          5 * time.Second,
		RetryMaxAttempts: 1,
	}
}

// staticConfig is a Route53Config with static keys read from secrets.
func staticConfig() (*solver.Route53Config, memSecrets) {
	return &solver.Route53Config{
			Region:                   "eu-west-1",
			AccessKeyID:              testKeyID,
			SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "aws", Key: "secret"},
		}, memSecrets{
			"team/aws/secret": testSecret + "\n",
		}
}

func newSolver(t *testing.T, p *route53.Provider, cfg *solver.Route53Config, secrets solver.Secrets) solver.Solver {
	t.Helper()
	s, err := p.NewSolver(testCtx(t), solver.DNS01Config{Route53: cfg}, "team", secrets)
	require.NoError(t, err)
	return s
}

func challenge(identifier string, wildcard bool, keyAuth string) solver.Challenge {
	return solver.Challenge{Type: solver.DNS01, Identifier: identifier, Wildcard: wildcard,
		Token: "token-" + keyAuth, KeyAuthorization: keyAuth, Namespace: "team", Name: keyAuth}
}

// recordingSink is a route53test.RecordSink remembering the last values per name.
type recordingSink struct {
	last map[string][]string
}

func (r *recordingSink) SetTXT(name string, values ...string) { r.last[name] = values }
