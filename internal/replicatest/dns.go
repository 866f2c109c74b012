package replicatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/certflow/certflow/solver"
)

// DNSProviderName is the webhook solverName under which replicas know the
// Front's DNS provider API: an issuer solves DNS-01 through it with
//
//	solver.Config{DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{SolverName: replicatest.DNSProviderName}}}
const DNSProviderName = "replicatest"

// DNSOp is a call to the DNS provider API.
type DNSOp string

// DNS provider operations.
const (
	DNSPresent DNSOp = "present"
	DNSCleanUp DNSOp = "cleanup"
)

// DNSCall is one call a replica made to the DNS provider API.
type DNSCall struct {
	Op      DNSOp  `json:"op"`
	Replica int    `json:"replica"`
	Name    string `json:"name"` // the TXT record's owner name
	Value   string `json:"value"`
	At      time.Time
}

// dnsProvider is a replica's DNS-01 provider: a client of the Front's DNS
// API, as a cloud DNS provider's would be of its API.
type dnsProvider struct {
	url     string
	replica int
}

var _ solver.DNS01Provider = (*dnsProvider)(nil)

func (p *dnsProvider) NewSolver(context.Context, solver.DNS01Config, string, solver.Secrets) (solver.Solver, error) {
	return dnsSolver{p}, nil
}

type dnsSolver struct{ p *dnsProvider }

var _ solver.Solver = dnsSolver{}

func (s dnsSolver) Present(ctx context.Context, ch solver.Challenge) error {
	return s.call(ctx, DNSPresent, ch)
}

func (s dnsSolver) CleanUp(ctx context.Context, ch solver.Challenge) error {
	return s.call(ctx, DNSCleanUp, ch)
}

func (s dnsSolver) call(ctx context.Context, op DNSOp, ch solver.Challenge) error {
	body, err := json.Marshal(DNSCall{Op: op, Replica: s.p.replica, Name: ch.RecordName(), Value: ch.DNS01Value()})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("replicatest dns %s: %w", op, err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("replicatest dns %s: %s", op, res.Status)
	}
	return nil
}
