// Command ondemand shows on-demand TLS: a server that gets a certificate
// at the first handshake for a name it did not know, when its policy
// allows the name. It starts certflow's embedded ACME server (acmetest:
// Let's Encrypt's Pebble in-process), serves HTTPS on a free loopback port
// with a policy allowing *.ondemand.test, makes TLS connections to three
// allowed names and one denied name, prints one line per name ("issued" or
// "denied") and exits 0 only if every name got what the policy says.
// Certificates are validated over real TLS-ALPN-01, on the port the
// handshakes arrive at.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/store/memory"
)

// names and what the policy must make of each.
var names = []struct {
	name    string
	allowed bool
}{
	{"shop.ondemand.test", true},
	{"blog.ondemand.test", true},
	{"api.ondemand.test", true},
	{"evil.example.test", false},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ondemand:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	ca, err := acmetest.Start(acmetest.WithTLSALPN01Port(port))
	if err != nil {
		return err
	}
	defer ca.Close()

	m, err := certflow.New(certflow.Config{
		Store:  memory.New(),
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnDemand: &certflow.OnDemandConfig{
			Allow: certflow.AllowNames("*.ondemand.test"),
			ACME:  &issuer.ACMEIssuer{Server: ca.DirectoryURL(), Email: "ops@ondemand.test"},
		},
	}.WithTestCA(ca))
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	defer func() { stop(); <-done }()

	// ServeTLS lets a handshake wait for its issuance (an http.Server of
	// one's own must allow it for as long: its ReadHeaderTimeout).
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello", r.Host) })
	go func() { _ = m.ServeTLS(runCtx, l, hello) }()

	results := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() { results[i] = connect(ctx, ca, port, n.name, n.allowed) })
	}
	wg.Wait()
	var failed []error
	for i, n := range names {
		what := "issued"
		if !n.allowed {
			what = "denied"
		}
		if results[i] != nil {
			what = "UNEXPECTED: " + results[i].Error()
			failed = append(failed, results[i])
		}
		fmt.Printf("%-20s %s\n", n.name, what)
	}
	return errors.Join(failed...)
}

// connect makes a TLS handshake for name, verified against the embedded
// CA's roots, and says how it differs from what the policy should decide.
func connect(ctx context.Context, ca *acmetest.Server, port int, name string, allowed bool) error {
	d := tls.Dialer{Config: &tls.Config{ServerName: name, RootCAs: ca.Roots(), MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
	switch {
	case allowed && err != nil:
		return fmt.Errorf("allowed, but the handshake failed: %w", err)
	case allowed:
		defer conn.Close()
		if leaf := conn.(*tls.Conn).ConnectionState().PeerCertificates[0]; leaf.DNSNames[0] != name {
			return fmt.Errorf("served a certificate for %v", leaf.DNSNames)
		}
		return nil
	case err == nil:
		conn.Close()
		return errors.New("denied, but a certificate was served")
	case !strings.Contains(err.Error(), "unrecognized name"):
		return fmt.Errorf("denied, but not with unrecognized_name: %w", err)
	}
	return nil
}
