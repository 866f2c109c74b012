package libdnssolver_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/solver/libdnssolver"
	"github.com/certflow/certflow/solver/libdnssolver/libdnstest"
)

func TestProviderBuildsSolversOverItsLibdnsProvider(t *testing.T) {
	dns := libdnstest.New("example.com", "example.org")
	p, err := libdnssolver.NewProvider(libdnssolver.Config{Provider: dns, Zone: "example.com"})
	require.NoError(t, err)
	tests := []struct {
		name       string
		webhook    *solver.WebhookConfig
		identifier string
	}{
		{"no webhook config", &solver.WebhookConfig{SolverName: "mydns"}, "example.com"},
		{"zone override", &solver.WebhookConfig{SolverName: "mydns", Config: json.RawMessage(`{"zone":"example.org.","token":"ignored"}`)}, "www.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := p.NewSolver(testCtx(t), solver.DNS01Config{Webhook: tt.webhook}, "team", nil)
			require.NoError(t, err)
			ch := challenge(tt.identifier, false, "ka-"+tt.name)

			require.NoError(t, s.Present(testCtx(t), ch))

			assert.Equal(t, []string{ch.DNS01Value()}, dns.TXT(ch.DNS01Name()))
		})
	}
}

func TestProviderRefusesBadWebhookConfig(t *testing.T) {
	dns := libdnstest.New("example.com")
	p, err := libdnssolver.NewProvider(libdnssolver.Config{Provider: dns, Zone: "example.com"})
	require.NoError(t, err)

	_, err = p.NewSolver(testCtx(t), solver.DNS01Config{Webhook: &solver.WebhookConfig{SolverName: "mydns", Config: json.RawMessage(`["zone"]`)}}, "team", nil)

	assert.ErrorIs(t, err, libdnssolver.ErrInvalidConfig)
}
