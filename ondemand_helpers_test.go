package certflow

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// allowSuffix is a policy allowing the names under suffix (".example.test").
func allowSuffix(suffix string) func(context.Context, string) error {
	return func(_ context.Context, name string) error {
		if strings.HasSuffix(name, suffix) {
			return nil
		}
		return fmt.Errorf("%q is not under %q", name, suffix)
	}
}

// onDemandTemplate is the template of the tests: ECDSA keys (fast), from
// the ACME Issuer "acme".
func onDemandTemplate() certificate.Certificate {
	return certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Labels: map[string]string{"app": "ondemand-test"}},
		Spec: certificate.Spec{
			IssuerRef:  meta.IssuerRef{Kind: meta.KindIssuer, Name: "acme"},
			PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256},
		},
	}
}

// startOnDemandACME runs a Manager with on-demand issuance configured by
// od (its Template defaulting to onDemandTemplate) against acmetest, with
// the ACME Issuer "acme" Ready. Pebble validates HTTP-01 for real, and the
// rig's TLS port serves the Manager's TLSConfig.
func startOnDemandACME(t *testing.T, od OnDemandConfig, st store.Store, opts ...acmetest.Option) *acmeHarness {
	t.Helper()
	if od.Template.Spec.IssuerRef.Name == "" {
		od.Template = onDemandTemplate()
	}
	if st == nil {
		st = memory.New()
	}
	// Not startACME: a hundred issuances under the race detector on a
	// loaded machine need more than its minute.
	ctx, cancel := context.WithTimeout(context.Background(), onDemandTestBudget)
	t.Cleanup(cancel)
	rig := testrig.StartACME(t, nil, opts...)
	cfg := Config{Workers: 8, OnDemand: &od}.WithTestCA(rig)
	h := &acmeHarness{t: t, ctx: ctx, acme: rig, cfg: cfg}
	h.startManager(st)
	awaitIssuerReady(h, h.m)
	return h
}

// onDemandTestBudget bounds each on-demand test against acmetest; the
// handshakes of the tests issuing many names wait up to most of it.
const onDemandTestBudget = 4 * time.Minute

// awaitIssuerReady applies the ACME Issuer "acme" through m and waits
// until it is Ready.
func awaitIssuerReady(h *acmeHarness, m *Manager) {
	h.t.Helper()
	require.NoError(h.t, m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	h.awaitStore("issuer Ready", func() bool {
		iss := &issuer.Issuer{}
		return h.st.Get(h.ctx, meta.Ref{Kind: meta.KindIssuer, Namespace: "default", Name: "acme"}, iss) == nil &&
			iss.Status.Conditions.IsTrue(meta.ConditionReady)
	})
}

// handshake makes a TLS handshake for name with the server on port,
// verifying the certificate against the CA's roots, and returns the
// leaf's names or the handshake's error.
func handshake(ctx context.Context, roots *x509.CertPool, port int, name string) ([]string, error) {
	d := tls.Dialer{Config: &tls.Config{ServerName: name, RootCAs: roots, MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState().PeerCertificates[0].DNSNames, nil
}

// ordersByName counts the newOrder requests the CA answered with a new
// order, by identifier: the CA's own ledger, not certflow's.
func ordersByName(ca *acmetest.Server) map[string]int {
	out := map[string]int{}
	for _, rec := range ca.NewOrders() {
		if rec.OrderID == "" {
			continue
		}
		for _, id := range rec.Identifiers {
			out[id]++
		}
	}
	return out
}
