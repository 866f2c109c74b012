// Command cluster runs certflow as a cluster: three replica processes (this
// program started again) share one etcd — embedded here, as in tests —
// and divide 20 certificates from an embedded ACME CA among themselves,
// solving HTTP-01, TLS-ALPN-01 and DNS-01. Mid-way one replica is killed
// (SIGKILL); the others take over its share. It then prints, for every
// certificate, how many times the CA issued it and which replicas serve it,
// and exits 0 only if every certificate was issued exactly once and is
// served by every replica still running.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/etcd"
	"github.com/certflow/certflow/store/etcd/etcdtest"
)

const (
	replicas     = 3
	certificates = 20
	namespace    = "default"
	prefix       = "/cluster-example/"
)

// replicaStore is how a replica reaches etcd: what it is given as
// replicatest.ChildConfig.Store.
type replicaStore struct {
	Endpoints []string `json:"endpoints"`
}

// openStore opens a replica's etcd store. A replica's locks are bound to
// its etcd session: killed, it loses them within SessionTTL.
func openStore(_ context.Context, cfg replicatest.ChildConfig) (store.Store, func(), error) {
	var s replicaStore
	if err := json.Unmarshal(cfg.Store, &s); err != nil {
		return nil, nil, err
	}
	st, err := etcd.Open(etcd.Config{Endpoints: s.Endpoints, Prefix: prefix, SessionTTL: 2 * time.Second})
	if err != nil {
		return nil, nil, err
	}
	return st, func() { _ = st.Close() }, nil
}

func main() {
	// Started again as a replica, this process runs one Manager (with
	// ShareWork) on the etcd store until its parent stops it.
	replicatest.Child(openStore)
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func run() (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	srv, err := etcdtest.New()
	if err != nil {
		return err
	}
	defer srv.Close()
	front, err := replicatest.NewFront() // where the CA validates, in front of the replicas
	if err != nil {
		return err
	}
	defer front.Close()
	ca, err := acmetest.Start(acmetest.WithHTTP01Port(front.HTTPPort), acmetest.WithTLSALPN01Port(front.TLSPort))
	if err != nil {
		return err
	}
	defer ca.Close()
	front.SetCA(ca)
	st, err := etcd.Open(etcd.Config{Endpoints: srv.Endpoints(), Prefix: prefix})
	if err != nil {
		return err
	}
	defer st.Close()

	certs := newCertificates()
	objects := []meta.Object{acmeIssuer(ca.DirectoryURL())}
	for _, c := range certs {
		objects = append(objects, c)
	}
	spec, err := json.Marshal(replicaStore{Endpoints: srv.Endpoints()})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "certflow-cluster-")
	if err != nil {
		return err
	}
	failed := false
	defer func() {
		if !failed {
			_ = os.RemoveAll(dir)
		}
	}()
	cluster, err := replicatest.Start(ctx, replicatest.Options{
		Replicas: replicas, Store: func(int) json.RawMessage { return spec }, Dir: dir,
		Objects: objects, CA: ca, Front: front, ShareWork: true,
	})
	if err != nil {
		return err
	}
	defer func() { _ = cluster.Close() }()
	defer func() {
		if err != nil {
			failed = true
			keepEvidence(dir, cluster, front)
		}
	}()
	start := time.Now()

	killed, killedAt, err := killMidway(ctx, cluster, front)
	if err != nil {
		return err
	}
	refs := make([]meta.Ref, len(certs))
	for i, c := range certs {
		refs[i] = meta.RefOf(c)
	}
	if err := replicatest.AwaitReady(ctx, st, refs); err != nil {
		return err
	}
	fmt.Printf("%d replicas on one etcd issued %d certificates in %v; replica %d was killed %v in, mid-issuance, and the others finished %v later\n\n",
		replicas, len(certs), time.Since(start).Round(time.Millisecond), killed,
		killedAt.Sub(start).Round(time.Millisecond), time.Since(killedAt).Round(time.Millisecond))
	return report(ctx, st, ca, cluster, certs)
}

// killMidway waits until a third of the certificates are being worked on
// and SIGKILLs the replica that last started a step the CA sees. The Front
// takes it out of rotation first and lets the validations in flight to it
// end, as a load balancer drains a replica: a TLS-ALPN-01 handshake of the
// CA cut off by the kill would fail its authorization, which no replica
// can take over (the issuance would wait an hour for its next attempt).
// Its own work — claims, share, the step it is in — is cut off mid-way.
func killMidway(ctx context.Context, cluster *replicatest.Cluster, front *replicatest.Front) (int, time.Time, error) {
	victim := -1
	err := cluster.Await(ctx, func(events []replicatest.Event) bool {
		started := map[string]bool{}
		for _, e := range events {
			if e.Type == replicatest.ReportEffect && e.Phase == replicatest.PhaseDo && e.Step == "finalize" {
				started[e.Ref.Name] = true
				victim = e.Replica
			}
		}
		return len(started) >= certificates/3
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("waiting for the replicas to finalize: %w", err)
	}
	front.Drain(victim)
	if err := front.AwaitIdle(ctx, victim); err != nil {
		return 0, time.Time{}, fmt.Errorf("draining replica %d: %w", victim, err)
	}
	cluster.Replica(victim).Kill()
	return victim, time.Now(), nil
}

// report prints each certificate's issuance count at the CA and the
// replicas that serve it, and fails unless each was issued once and is
// served by every replica still running.
func report(ctx context.Context, st store.Store, ca *acmetest.Server, cluster *replicatest.Cluster, certs []*certificate.Certificate) error {
	ledger, err := replicatest.ReadLedger(ctx, ca)
	if err != nil {
		return err
	}
	var running []*replicatest.Replica
	for _, r := range cluster.Replicas() {
		select {
		case <-r.Exited():
		default:
			running = append(running, r)
		}
	}
	// Which replica's finalize had the CA issue each certificate: its
	// Order is named <certificate>-<revision>-<hash>.
	finalizedBy := map[string]int{}
	for _, e := range cluster.Events() {
		if e.Type == replicatest.ReportEffect && e.Step == "finalize" && e.Phase == replicatest.PhaseDone && e.Ran && e.Err == "" {
			if cert, _, ok := strings.Cut(e.Ref.Name, "-1-"); ok {
				finalizedBy[cert] = e.Replica
			}
		}
	}
	var problems []string
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CERTIFICATE\tDNS NAMES\tISSUED BY THE CA\tFINALIZED BY REPLICA\tSERVED BY REPLICAS")
	for _, c := range certs {
		leaf, err := storedLeaf(ctx, st, c)
		if err != nil {
			return err
		}
		issued := 0
		for _, n := range c.Spec.DNSNames {
			issued = max(issued, ledger.Issued[n])
			if ledger.Issued[n] != 1 {
				problems = append(problems, fmt.Sprintf("%s issued %d times", n, ledger.Issued[n]))
			}
		}
		var servedBy []string
		for _, r := range running {
			if serves(ctx, r, c.Spec.DNSNames, leaf, ca) {
				servedBy = append(servedBy, fmt.Sprint(r.Index))
			} else {
				problems = append(problems, fmt.Sprintf("replica %d does not serve %s", r.Index, c.ObjectMeta.Name))
			}
		}
		by := "?"
		if i, ok := finalizedBy[c.ObjectMeta.Name]; ok {
			by = fmt.Sprint(i)
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", c.ObjectMeta.Name, strings.Join(c.Spec.DNSNames, ","), issued, by, strings.Join(servedBy, ","))
	}
	_ = w.Flush()
	if len(problems) > 0 {
		sort.Strings(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	fmt.Println("\nevery certificate was issued exactly once and is served by every running replica")
	return nil
}

// serves reports whether replica r serves leaf for every one of names,
// over a verified TLS handshake; a replica learns of a Secret through its
// watch, so it is given a few seconds.
func serves(ctx context.Context, r *replicatest.Replica, names []string, leaf []byte, ca *acmetest.Server) bool {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, name := range names {
		for {
			got, err := replicatest.Handshake(ctx, r.TLSPort, strings.TrimPrefix(name, "*."), ca.Roots())
			if err == nil && slices.Equal(got.Raw, leaf) {
				break
			}
			select {
			case <-ctx.Done():
				return false
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return true
}

func storedLeaf(ctx context.Context, st store.Store, c *certificate.Certificate) ([]byte, error) {
	s := &secret.Secret{}
	if err := st.Get(ctx, meta.Ref{Kind: meta.KindSecret, Namespace: namespace, Name: c.Spec.SecretName}, s); err != nil {
		return nil, err
	}
	chain, err := pki.ParseChain(s.Data[secret.TLSCertKey])
	if err != nil {
		return nil, err
	}
	return chain[0].Raw, nil
}

// The zones whose names the issuer solves with each challenge type.
const (
	zoneHTTP01    = "http01.cluster.test"
	zoneTLSALPN01 = "alpn01.cluster.test"
	zoneDNS01     = "dns01.cluster.test"
)

func acmeIssuer(directoryURL string) *issuer.Issuer {
	zone := func(z string) *solver.Selector { return &solver.Selector{DNSZones: []string{z}} }
	return &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: namespace, Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              directoryURL,
			Email:               "ops@cluster.test",
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"},
			Solvers: []solver.Config{
				{Selector: zone(zoneHTTP01), HTTP01: &solver.HTTP01Config{}},
				{Selector: zone(zoneTLSALPN01), TLSALPN01: &solver.TLSALPN01Config{}},
				// DNS-01 records go to the CA's DNS through the Front's
				// provider API, as they would through a DNS provider's.
				{Selector: zone(zoneDNS01), DNS01: &solver.DNS01Config{Webhook: &solver.WebhookConfig{SolverName: replicatest.DNSProviderName}}},
			},
		}},
	}
}

// newCertificates spreads the certificates over the three challenge types.
func newCertificates() []*certificate.Certificate {
	zones := []string{zoneHTTP01, zoneTLSALPN01, zoneDNS01}
	out := make([]*certificate.Certificate, certificates)
	for i := range out {
		name := fmt.Sprintf("site-%02d", i)
		out[i] = &certificate.Certificate{
			ObjectMeta: meta.ObjectMeta{Namespace: namespace, Name: name},
			Spec: certificate.Spec{
				SecretName: name + "-tls",
				IssuerRef:  meta.IssuerRef{Kind: meta.KindIssuer, Name: "acme"},
				DNSNames:   []string{name + "." + zones[i%len(zones)]},
				PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256},
			},
		}
	}
	return out
}
