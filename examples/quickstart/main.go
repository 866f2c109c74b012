// Command quickstart issues a certificate end to end over ACME and serves
// it. With no flags it starts certflow's embedded ACME server (acmetest:
// Let's Encrypt's Pebble in-process), serves HTTP-01 and HTTPS on free
// loopback ports, gets a certificate for quickstart.localhost validated over
// real HTTP-01, prints the status tree, makes one verified HTTPS request to
// itself and exits.
//
// Pointed at a real CA it is a small auto-TLS server:
//
//	go run ./examples/quickstart \
//	  -directory https://acme-staging-v02.api.letsencrypt.org/directory \
//	  -email you@example.com -domain www.example.com \
//	  -http-addr :80 -https-addr :443
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store/memory"
)

type options struct {
	directory, email, domain string
	httpAddr, httpsAddr      string
	out                      string
	timeout                  time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.directory, "directory", "", "ACME directory URL; empty starts the embedded ACME server")
	flag.StringVar(&o.email, "email", "quickstart@example.test", "ACME account contact")
	flag.StringVar(&o.domain, "domain", "quickstart.localhost", "name to get a certificate for")
	flag.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:0", "HTTP-01 listener (a real CA validates on port 80)")
	flag.StringVar(&o.httpsAddr, "https-addr", "127.0.0.1:0", "HTTPS listener")
	flag.StringVar(&o.out, "out", "", "directory to write tls.crt and tls.key to")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Minute, "how long issuance may take")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	httpL, err := net.Listen("tcp", o.httpAddr)
	if err != nil {
		return err
	}
	defer httpL.Close()
	httpsL, err := net.Listen("tcp", o.httpsAddr)
	if err != nil {
		return err
	}
	defer httpsL.Close()
	httpPort, httpsPort := port(httpL), port(httpsL)

	cfg := certflow.Config{
		Store:  memory.New(),
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	cfg.ACME.HTTP01Port, cfg.ACME.TLSALPN01Port = httpPort, httpsPort
	directory := o.directory
	embedded := directory == ""
	var ca *acmetest.Server
	if embedded {
		ca, err = acmetest.Start(acmetest.WithHTTP01Port(httpPort), acmetest.WithTLSALPN01Port(httpsPort))
		if err != nil {
			return err
		}
		defer ca.Close()
		directory = ca.DirectoryURL()
		// Its client, the names it resolves, the ports it validates on.
		cfg = cfg.WithTestCA(ca)
	}
	m, err := certflow.New(cfg)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	servers := serve(m, httpL, httpsL)
	defer func() {
		for _, s := range servers {
			_ = s.Close()
		}
	}()

	crt, err := issue(ctx, m, directory, o)
	if err != nil {
		return err
	}
	st, err := m.Status(ctx, meta.RefOf(crt))
	if err != nil {
		return err
	}
	fmt.Print(st)
	if o.out != "" {
		if err := writeOut(ctx, m, crt, o.out); err != nil {
			return err
		}
	}
	if embedded {
		return selfRequest(ctx, ca, o.domain, httpsPort)
	}
	fmt.Printf("serving https://%s/ (Ctrl-C to stop)\n", o.domain)
	<-ctx.Done()
	return nil
}

func port(l net.Listener) int { return l.Addr().(*net.TCPAddr).Port }

// serve mounts the Manager's HTTP-01 handler and TLS config.
func serve(m *certflow.Manager, httpL, httpsL net.Listener) []*http.Server {
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from certflow over %s to %s\n", tlsVersion(r), r.Host)
	})
	httpSrv := &http.Server{Handler: m.HTTPHandler(nil), ReadHeaderTimeout: 10 * time.Second}
	httpsSrv := &http.Server{Handler: hello, TLSConfig: m.TLSConfig(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = httpSrv.Serve(httpL) }()
	go func() { _ = httpsSrv.ServeTLS(httpsL, "", "") }()
	return []*http.Server{httpSrv, httpsSrv}
}

func tlsVersion(r *http.Request) string {
	if r.TLS == nil {
		return "plain HTTP"
	}
	return "TLS 0x" + strconv.FormatUint(uint64(r.TLS.Version), 16)
}

// issue applies an ACME Issuer and a Certificate and waits until it is Ready.
func issue(ctx context.Context, m *certflow.Manager, directory string, o options) (*certificate.Certificate, error) {
	iss := &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              directory,
			Email:               o.email,
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account-key"},
			Solvers:             []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
		}},
	}
	crt := &certificate.Certificate{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "quickstart"},
		Spec: certificate.Spec{
			SecretName: "quickstart-tls",
			IssuerRef:  meta.IssuerRef{Kind: meta.KindIssuer, Name: "acme"},
			DNSNames:   []string{o.domain},
			PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256},
		},
	}
	if err := m.Apply(ctx, iss); err != nil {
		return nil, err
	}
	if err := m.Apply(ctx, crt); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if err := m.WaitReady(wctx, meta.RefOf(crt)); err != nil {
		st, _ := m.Status(context.Background(), meta.RefOf(crt))
		return nil, errors.Join(fmt.Errorf("certificate not ready: %w", err), fmt.Errorf("status:\n%v", st))
	}
	return crt, nil
}

// writeOut writes the Secret's certificate chain and key, the key 0600.
func writeOut(ctx context.Context, m *certflow.Manager, crt *certificate.Certificate, dir string) error {
	s := &secret.Secret{}
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: crt.ObjectMeta.Namespace, Name: crt.Spec.SecretName}
	if err := m.Get(ctx, ref, s); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := replaceFile(filepath.Join(dir, secret.TLSCertKey), s.Data[secret.TLSCertKey], 0o644); err != nil {
		return err
	}
	if err := replaceFile(filepath.Join(dir, secret.TLSKeyKey), s.Data[secret.TLSKeyKey], 0o600); err != nil {
		return err
	}
	fmt.Printf("wrote %s and %s\n", filepath.Join(dir, secret.TLSCertKey), filepath.Join(dir, secret.TLSKeyKey))
	return nil
}

// selfRequest makes one HTTPS request to the server just started, verified
// against the embedded CA's roots.
func selfRequest(ctx context.Context, ca *acmetest.Server, domain string, httpsPort int) error {
	tr := &http.Transport{DialContext: ca.Dial, TLSClientConfig: &tls.Config{RootCAs: ca.Roots(), MinVersion: tls.VersionTLS12}}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	url := "https://" + net.JoinHostPort(domain, strconv.Itoa(httpsPort)) + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("HTTPS request to itself: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	leaf := resp.TLS.PeerCertificates[0]
	fmt.Printf("GET %s: %s, certificate %v issued by %q, verified against the embedded CA's roots\n%s",
		url, resp.Status, leaf.DNSNames, leaf.Issuer.CommonName, body)
	return nil
}
