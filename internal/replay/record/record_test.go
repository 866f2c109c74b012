// Package record holds the test that records the issuance the decision
// packages replay (see internal/replay). It runs only when asked:
//
//	CERTFLOW_REPLAY_RECORD=1 go test ./internal/replay/record
//
// rewrites internal/replay/testdata/http01-two-names.json; commit the new
// file together with the decision change that needed it.
package record_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/replay"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

const path = "../testdata/http01-two-names.json" // replay.Path, seen from here

// TestRecordIssuance records one real issuance and checks the recording
// holds every reconciler's decisions and reads back whole; with
// CERTFLOW_REPLAY_RECORD=1 it also replaces the committed recording that the
// packages replay.
func TestRecordIssuance(t *testing.T) {
	httpL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer httpL.Close()
	port := httpL.Addr().(*net.TCPAddr).Port
	srv := acmetest.NewServer(t, acmetest.WithHTTP01Port(port))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// One worker: the decisions of the recording happen one at a time.
	st := memory.New()
	cfg := certflow.Config{Store: st, HTTPClient: srv.Client(), Workers: 1, BackoffMin: time.Hour}
	cfg.ACME.HTTP01Port, cfg.ACME.Dial = port, srv.Dial
	rec := replay.Record()
	defer rec.Stop()
	cfg.Observer = rec.Observe
	m, err := certflow.New(cfg)
	require.NoError(t, err)
	hs := &http.Server{Handler: m.HTTPHandler(http.NotFoundHandler()), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(httpL) }()
	defer hs.Close()

	iss := &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              srv.DirectoryURL(),
			Email:               "ops@example.test",
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"},
			Solvers:             []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
		}},
	}
	crt := &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: certificate.Spec{
			SecretName: "web-tls",
			IssuerRef:  meta.IssuerRef{Name: "acme", Kind: meta.KindIssuer},
			DNSNames:   []string{"web.example.test", "www.example.test"},
			PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256},
		},
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	require.NoError(t, m.Apply(ctx, iss))
	require.NoError(t, m.Apply(ctx, crt))
	require.NoError(t, m.WaitReady(ctx, meta.RefOf(crt)))
	// The recording ends with the clean-up after issuance: the Challenges
	// and the temporary key are gone.
	testrig.Await(t, ctx, st, "the clean-up after issuance", func() bool {
		for _, k := range []meta.Kind{meta.KindChallenge, meta.KindSecret} {
			res, err := st.List(ctx, store.ListOptions{Kind: k, Namespace: "default"})
			require.NoError(t, err)
			for _, raw := range res.Items {
				if k == meta.KindChallenge || raw.Ref.Name == "web-next-private-key" {
					return false
				}
			}
		}
		return true
	}, func() string { return "Challenges or the next private key remain" })
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		require.NoError(t, err)
	}
	rec.Stop()

	steps, err := rec.Steps()
	require.NoError(t, err)
	kinds := map[meta.Kind]int{}
	for _, st := range steps {
		kinds[st.Kind]++
	}
	for _, k := range []meta.Kind{meta.KindCertificate, meta.KindCertificateRequest, meta.KindOrder, meta.KindChallenge} {
		assert.Positive(t, kinds[k], "the recording holds %s decisions", k)
	}
	recording := &replay.Recording{
		About: "One HTTP-01 issuance of Certificate default/web (web.example.test, www.example.test) by a Manager " +
			"against acmetest, every decision of the Certificate, CertificateRequest, Order and Challenge reconcilers " +
			"in the order they were made. Keys in it are throwaway test keys made by that run. Record again with " +
			replay.RecordEnv + "=1 go test ./internal/replay/record",
		Steps: steps,
	}
	out := filepath.Join(t.TempDir(), "recording.json")
	if os.Getenv(replay.RecordEnv) == "1" {
		out = path
	}
	require.NoError(t, replay.Save(out, recording))
	back := replay.Load(t, out)
	require.Len(t, back.Steps, len(steps), "the recording reads back whole")
	for i, st := range back.Steps {
		assert.Equal(t, steps[i].Kind, st.Kind)
	}
	t.Logf("recorded %d decisions in %s", len(steps), out)
}
