package route53_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/route53"
	"github.com/certflow/certflow/solver/route53/route53test"
)

func TestStaticCredentialsSignRequests(t *testing.T) {
	tests := []struct {
		name string
		cfg  solver.Route53Config
	}{
		{"literal key ID", solver.Route53Config{
			AccessKeyID:              testKeyID,
			SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "aws", Key: "secret"},
		}},
		{"key ID from secret", solver.Route53Config{
			AccessKeyIDSecretRef:     &solver.SecretKeySelector{Name: "aws", Key: "id"},
			SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "aws", Key: "secret"},
		}},
	}
	secrets := memSecrets{"team/aws/id": " " + testKeyID + "\n", "team/aws/secret": testSecret}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
			s := newSolver(t, testProvider(srv), &tt.cfg, secrets)

			require.NoError(t, s.Present(testCtx(t), challenge("example.com", false, "ka")))

			assert.Equal(t, []string{testKeyID}, srv.AccessKeyIDs())
		})
	}
}

func TestAmbientCredentialsComeFromTheDefaultChain(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	s := newSolver(t, testProvider(srv), &solver.Route53Config{}, nil)

	require.NoError(t, s.Present(testCtx(t), challenge("example.com", false, "ka")))

	assert.Equal(t, []string{"AKIDFROMENV"}, srv.AccessKeyIDs())
}

func TestRoleIsAssumedWithTheConfiguredKeys(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{Name: "example.com"})
	cfg, secrets := staticConfig()
	cfg.Role = "arn:aws:iam::123456789012:role/dns01"
	s := newSolver(t, testProvider(srv), cfg, secrets)

	require.NoError(t, s.Present(testCtx(t), challenge("example.com", false, "ka")))
	require.NoError(t, s.CleanUp(testCtx(t), challenge("example.com", false, "ka")))

	assert.Equal(t, []string{cfg.Role}, srv.AssumedRoles(), "assumed once, then cached")
	assert.Equal(t, []string{testKeyID, "ASIATEST1"}, srv.AccessKeyIDs(), "STS signed with the static key, Route 53 with the role's")
}

func TestInvalidConfigs(t *testing.T) {
	ref := &solver.SecretKeySelector{Name: "aws", Key: "secret"}
	tests := []struct {
		name     string
		cfg      solver.DNS01Config
		provider *route53.Provider
		secrets  solver.Secrets
	}{
		{"no route53", solver.DNS01Config{}, &route53.Provider{}, nil},
		{"key ID twice", solver.DNS01Config{Route53: &solver.Route53Config{AccessKeyID: "A", AccessKeyIDSecretRef: ref, SecretAccessKeySecretRef: ref}}, &route53.Provider{}, memSecrets{}},
		{"secret without key ID", solver.DNS01Config{Route53: &solver.Route53Config{SecretAccessKeySecretRef: ref}}, &route53.Provider{}, memSecrets{}},
		{"key ID without secret", solver.DNS01Config{Route53: &solver.Route53Config{AccessKeyID: "A"}}, &route53.Provider{}, memSecrets{}},
		{"no Secrets reader", solver.DNS01Config{Route53: &solver.Route53Config{AccessKeyID: "A", SecretAccessKeySecretRef: ref}}, &route53.Provider{}, nil},
		{"empty secret", solver.DNS01Config{Route53: &solver.Route53Config{AccessKeyID: "A", SecretAccessKeySecretRef: ref}}, &route53.Provider{}, memSecrets{"team/aws/secret": " \n"}},
		{"ambient disabled", solver.DNS01Config{Route53: &solver.Route53Config{}}, &route53.Provider{DisableAmbientCredentials: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.provider.NewSolver(testCtx(t), tt.cfg, "team", tt.secrets)
			assert.ErrorIs(t, err, route53.ErrInvalidConfig)
		})
	}
}

func TestSecretReadErrorIsWrappedWithoutValue(t *testing.T) {
	cfg := &solver.Route53Config{
		AccessKeyIDSecretRef:     &solver.SecretKeySelector{Name: "aws", Key: "missing"},
		SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "aws", Key: "secret"},
	}
	var p route53.Provider
	_, err := p.NewSolver(testCtx(t), solver.DNS01Config{Route53: cfg}, "team", memSecrets{"team/aws/secret": testSecret})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "accessKeyIDSecretRef")
	assert.NotContains(t, err.Error(), testSecret)
}

// API errors come back wrapped, so callers can branch on the SDK's types,
// and they never carry the secret access key.
func TestAPIErrorsAreTypedAndCarryNoSecret(t *testing.T) {
	srv := route53test.NewServer(t, route53test.Zone{ID: "ZEX", Name: "example.com"})
	cfg, secrets := staticConfig()
	p := testProvider(srv)

	t.Run("unknown hosted zone", func(t *testing.T) {
		bad := *cfg
		bad.HostedZoneID = "ZNOPE"
		err := newSolver(t, p, &bad, secrets).Present(testCtx(t), challenge("example.com", false, "ka"))

		var nz *types.NoSuchHostedZone
		require.ErrorAs(t, err, &nz)
		assert.Contains(t, err.Error(), "route53: present _acme-challenge.example.com.")
		assert.NotContains(t, err.Error(), testSecret)
	})
	t.Run("invalid change batch", func(t *testing.T) {
		srv.FailNext(route53test.OpChangeResourceRecordSets, 400, "InvalidChangeBatch", "[RRSet of type TXT is not permitted]")
		err := newSolver(t, p, cfg, secrets).Present(testCtx(t), challenge("example.com", false, "ka"))

		var icb *types.InvalidChangeBatch
		require.ErrorAs(t, err, &icb)
		var api smithy.APIError
		require.True(t, errors.As(err, &api))
		assert.Equal(t, "InvalidChangeBatch", api.ErrorCode())
		assert.NotContains(t, err.Error(), testSecret)
	})
	t.Run("access denied", func(t *testing.T) {
		srv.FailNext(route53test.OpListResourceRecordSets, 403, "AccessDenied", "User is not authorized")
		err := newSolver(t, p, cfg, secrets).CleanUp(testCtx(t), challenge("example.com", false, "ka"))

		var api smithy.APIError
		require.ErrorAs(t, err, &api)
		assert.Equal(t, "AccessDenied", api.ErrorCode())
		assert.NotContains(t, err.Error(), testSecret)
	})
}

// The selectors cert-manager's webhook requires complete
// (issuer_test.go TestValidateACMEIssuerDNS01Config, v1.21.1) are refused
// before any Secret is read.
func TestInvalidConfigs_IncompleteSecretRefs(t *testing.T) {
	for name, c := range map[string]solver.Route53Config{
		"accessKeyIDSecretRef missing name":    {AccessKeyIDSecretRef: &solver.SecretKeySelector{Key: "id"}, SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "aws", Key: "secret"}},
		"accessKeyIDSecretRef missing key":     {AccessKeyIDSecretRef: &solver.SecretKeySelector{Name: "aws"}, SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "aws", Key: "secret"}},
		"secretAccessKeySecretRef missing key": {AccessKeyID: "A", SecretAccessKeySecretRef: &solver.SecretKeySelector{Name: "aws"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := (&route53.Provider{}).NewSolver(testCtx(t), solver.DNS01Config{Route53: &c}, "team", memSecrets{"team/aws/secret": "s", "team/aws/": "x"})
			assert.ErrorIs(t, err, route53.ErrInvalidConfig)
		})
	}
}
