// Package replicasuite holds the replica scenarios that every shared Store
// runs (IssuedOnce) and the Rig they are built from, so that tests of one
// Store (the etcd module's fault tests) compose their own: an acmetest CA
// behind a replicatest.Front, a Cluster of replica processes applying the
// same objects, and checks of what the CA and the replicas did.
package replicasuite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// The zones whose names the ACME issuer solves with each challenge type.
const (
	ZoneHTTP01    = "http01.replicas.test"
	ZoneTLSALPN01 = "alpn01.replicas.test"
	ZoneDNS01     = "dns01.replicas.test"
	// ZoneOnDemand holds the names replicas issue on demand, by TLS-ALPN-01.
	ZoneOnDemand = "ondemand.replicas.test"
)

// Namespace holds every object of the suite.
const Namespace = "default"

// IssuerName names the ACME Issuer every Rig applies.
const IssuerName = "acme"

// Config describes a Rig.
type Config struct {
	// Replicas is how many replica processes run. Required.
	Replicas int
	// Store returns the Store settings of replica i. Required.
	Store func(i int) json.RawMessage
	// Parent is the test's own handle on the shared Store. Required.
	Parent store.Store
	// Objects are applied by every replica, after the ACME Issuer.
	Objects []meta.Object
	// CA adds options to the acmetest server.
	CA []acmetest.Option
	// Workers is each Manager's Workers. If zero, 4.
	Workers int
	// ShareWork is each Manager's ShareWork.
	ShareWork bool
	// OnDemand, if set, turns on each Manager's on-demand issuance.
	OnDemand *replicatest.OnDemand
	// Control, if set, returns the Control of replica i (nil: none).
	Control func(i int) *replicatest.Control
}

// Rig is a CA, its Front and a Cluster of replicas sharing one Store.
type Rig struct {
	T       testing.TB
	Ctx     context.Context
	CA      *acmetest.Server
	Front   *replicatest.Front
	Cluster *replicatest.Cluster
	Store   store.Store
}

// Start starts the CA, the Front and the replicas; everything stops when
// the test ends, and on failure each replica's log is printed.
func Start(t testing.TB, ctx context.Context, cfg Config) *Rig {
	t.Helper()
	front, err := replicatest.NewFront()
	require.NoError(t, err)
	t.Cleanup(front.Close)
	opts := append([]acmetest.Option{acmetest.WithHTTP01Port(front.HTTPPort), acmetest.WithTLSALPN01Port(front.TLSPort)}, cfg.CA...)
	srv := acmetest.NewServer(t, opts...)
	front.SetCA(srv)
	if cfg.Workers == 0 {
		cfg.Workers = 4
	}
	cluster, err := replicatest.Start(ctx, replicatest.Options{
		Replicas:  cfg.Replicas,
		Store:     cfg.Store,
		Dir:       t.TempDir(),
		Objects:   append([]meta.Object{ACMEIssuer(srv.DirectoryURL())}, cfg.Objects...),
		CA:        srv,
		Front:     front,
		Workers:   cfg.Workers,
		ShareWork: cfg.ShareWork,
		OnDemand:  cfg.OnDemand,
		Control:   cfg.Control,
	})
	require.NoError(t, err)
	r := &Rig{T: t, Ctx: ctx, CA: srv, Front: front, Cluster: cluster, Store: cfg.Parent}
	t.Cleanup(func() {
		if err := cluster.Close(); err != nil {
			t.Errorf("stopping the replicas: %v", err)
		}
		if t.Failed() {
			for _, rep := range cluster.Replicas() {
				t.Logf("replica %d log:\n%s", rep.Index, tail(rep.Stderr.String(), 60))
			}
		}
	})
	return r
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… %d lines before", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// ACMEIssuer solves each zone's names with its challenge type: HTTP-01,
// TLS-ALPN-01, and DNS-01 through the Front's DNS provider API; the
// on-demand zone's by TLS-ALPN-01, as on-demand issuance usually is.
func ACMEIssuer(directoryURL string) *issuer.Issuer {
	zone := func(z string) *solver.Selector { return &solver.Selector{DNSZones: []string{z}} }
	return &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: Namespace, Name: IssuerName},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              directoryURL,
			Email:               "ops@replicas.test",
			PrivateKeySecretRef: meta.LocalRef{Name: IssuerName + "-account"},
			Solvers: []solver.Config{
				{Selector: zone(ZoneHTTP01), HTTP01: &solver.HTTP01Config{}},
				{Selector: zone(ZoneTLSALPN01), TLSALPN01: &solver.TLSALPN01Config{}},
				{Selector: zone(ZoneOnDemand), TLSALPN01: &solver.TLSALPN01Config{}},
				{Selector: zone(ZoneDNS01), DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{SolverName: replicatest.DNSProviderName}}},
			},
		}},
	}
}

// Certificates are n Certificates from the ACME Issuer named
// <prefix>-<i>, each for the one name <prefix>-<i>.<zone>.
func Certificates(prefix string, n int, zone string) []*certificate.Certificate {
	out := make([]*certificate.Certificate, n)
	for i := range out {
		name := fmt.Sprintf("%s-%03d", prefix, i)
		out[i] = testrig.ACMECertificate(Namespace, name, IssuerName, name+"."+zone)
	}
	return out
}

// Objects turns certificates into the objects Config.Objects takes.
func Objects(certs []*certificate.Certificate) []meta.Object {
	out := make([]meta.Object, len(certs))
	for i, c := range certs {
		out[i] = c
	}
	return out
}

// Names lists every DNS name of certs.
func Names(certs []*certificate.Certificate) []string {
	var out []string
	for _, c := range certs {
		out = append(out, c.Spec.DNSNames...)
	}
	return out
}

// Refs lists the references of certs.
func Refs(certs []*certificate.Certificate) []meta.Ref {
	out := make([]meta.Ref, len(certs))
	for i, c := range certs {
		out[i] = meta.RefOf(c)
	}
	return out
}

// AwaitReady waits until every one of certs is Ready in the Store; on
// failure it prints the status tree of each that is not.
func (r *Rig) AwaitReady(certs []*certificate.Certificate) {
	r.T.Helper()
	err := replicatest.AwaitReady(r.Ctx, r.Store, Refs(certs))
	if err != nil {
		r.explain(certs)
	}
	require.NoError(r.T, err)
}

// explain logs the status tree of every one of certs that is not Ready,
// read by a Manager that never runs.
func (r *Rig) explain(certs []*certificate.Certificate) {
	m, err := certflow.New(certflow.Config{Store: r.Store})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range certs {
		got := &certificate.Certificate{}
		if r.Store.Get(ctx, meta.RefOf(c), got) == nil && replicatest.Ready(got) {
			continue
		}
		if st, err := m.Status(ctx, meta.RefOf(c)); err == nil {
			r.T.Logf("%s is not ready:\n%s", c.ObjectMeta.Name, st)
		}
	}
}

// Timeout bounds a scenario: long enough for a loaded CI machine under
// -race, short enough that a hang fails instead of eating the CI budget.
const Timeout = 3 * time.Minute
