package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest/acmeleak"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

// TestMain makes this test binary the certflow command when the scripts
// exec it (testscript copies it into $PATH as "certflow"), and otherwise
// runs the tests and fails if one leaves a goroutine running (except
// Pebble's validation loop, which never exits).
func TestMain(m *testing.M) {
	testscript.Main(leakChecked{m}, map[string]func(){"certflow": main})
}

type leakChecked struct{ m *testing.M }

func (l leakChecked) Run() int {
	code := l.m.Run()
	if code == 0 {
		if err := goleak.Find(acmeleak.IgnoreGoroutines()...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return code
}

// errAwaitingPerson keeps requests named manual-… pending: the test's
// Approver decides nothing for them, a person (the command) does.
var errAwaitingPerson = errors.New("awaiting a person's decision")

// TestScripts runs testdata/script/*.txtar: each execs the certflow
// command against a file store that a real Manager, running here, shares
// and reconciles, issuing from acmetest (Pebble) over HTTP-01. Every script
// works in its own namespace, named after the script ($NS, also
// $CERTFLOW_NAMESPACE), so the scripts run in parallel on one store
// ($STOREDIR).
//
// Besides testscript's own commands, a script has:
//
//	issue NAME             apply an ACME Issuer "acme" and a Certificate NAME
//	                       for NAME.$NS.test in $NS, and wait until the
//	                       Manager issued it
//	exits N PROGRAM ARGS…  exec PROGRAM, which must exit with status N
func TestScripts(t *testing.T) {
	dir := t.TempDir()
	st, err := file.Open(dir, file.WithPollInterval(10*time.Millisecond), file.WithoutSync())
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })

	rig := testrig.StartACME(t, nil)
	cfg := certflow.Config{Store: st, Workers: 4, BackoffMin: time.Hour,
		Approver: request.ApproverFunc(func(_ context.Context, r *request.CertificateRequest) (request.Decision, error) {
			if strings.HasPrefix(r.ObjectMeta.Name, "manual-") {
				return request.Decision{}, errAwaitingPerson
			}
			return request.Decision{Approved: true, Reason: "approved by the test"}, nil
		})}.WithTestCA(rig)
	m, err := certflow.New(cfg)
	require.NoError(t, err)
	rig.Serve(m)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	testrig.Run(t, ctx, 30*time.Second, m.Run)

	// The command's own Manager talks to the CA too (revoke,
	// deactivate-account): it trusts the CA's TLS certificate as a system root.
	caFile := filepath.Join(t.TempDir(), "acmetest-ca.pem")
	require.NoError(t, os.WriteFile(caFile, rig.TLSCertPEM(), 0o600))

	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			ns := strings.TrimPrefix(filepath.Base(env.WorkDir), "script-")
			env.Setenv("CERTFLOW_STORE", "file://"+dir)
			env.Setenv("STOREDIR", dir)
			env.Setenv("CERTFLOW_NAMESPACE", ns)
			env.Setenv("NS", ns)
			env.Setenv("SSL_CERT_FILE", caFile)
			// A race-enabled command sleeps a second at exit unless told
			// not to; the scripts exec it hundreds of times.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"issue": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: issue NAME")
				}
				ts.Check(issue(ctx, m, st, rig, ts.Getenv("NS"), args[0]))
			},
			"revoked": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: [!] revoked NAME COUNT")
				}
				want, err := strconv.Atoi(args[1])
				ts.Check(err)
				got := revokedAtCA(ctx, rig, args[0]+"."+ts.Getenv("NS")+".test")
				if (got == want) == neg {
					ts.Fatalf("the CA holds %d certificates for %s revoked; want %s%d", got, args[0], map[bool]string{true: "not "}[neg], want)
				}
			},
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exits STATUS PROGRAM [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				var ee *exec.ExitError
				if err := ts.Exec(args[1], args[2:]...); errors.As(err, &ee) {
					got = ee.ExitCode()
				} else {
					ts.Check(err)
				}
				if got != want {
					ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
				}
			},
		},
	})
}

// issue has m issue a Certificate name for name.<ns>.test from the ACME
// Issuer "acme" in ns, and waits until it is Ready; st is m's Store.
func issue(ctx context.Context, m *certflow.Manager, st store.Store, rig *testrig.ACME, ns, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := m.Apply(ctx, rig.Issuer(ns, "acme")); err != nil {
		return err
	}
	if err := m.Apply(ctx, testrig.ACMECertificate(ns, name, "acme", name+"."+ns+".test")); err != nil {
		return err
	}
	ref := meta.Ref{Kind: meta.KindCertificate, Namespace: ns, Name: name}
	if err := m.WaitReady(ctx, ref); err != nil {
		tree, _ := m.Status(context.Background(), ref)
		return fmt.Errorf("%s not issued: %w\n%v", ref, err, tree)
	}
	// Events are stored off the reconcile path; the scripts read the
	// whole story, so the Issued event is awaited too: its write wakes
	// the wait.
	var read error
	err := testrig.Until(ctx, st, func() bool {
		evs, err := m.Events(ctx, ref)
		if err != nil {
			read = err
			return true
		}
		return slices.ContainsFunc(evs, func(e meta.Event) bool { return e.Reason == certificate.ReasonIssued })
	})
	if err != nil {
		return fmt.Errorf("%s: the Issued event was not stored: %w", ref, err)
	}
	return read
}

// revokedAtCA counts the certificates the CA issued for name that it holds
// revoked.
func revokedAtCA(ctx context.Context, rig *testrig.ACME, name string) int {
	n := 0
	for _, o := range rig.Orders(ctx) {
		if o.Certificate == nil || !slices.Contains(o.Identifiers, name) {
			continue
		}
		if _, revoked := rig.Revocation(o.Certificate); revoked {
			n++
		}
	}
	return n
}
