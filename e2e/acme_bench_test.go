package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store/memory"
)

const (
	benchCerts       = 200
	benchConcurrency = 8
)

// BenchmarkACMEIssuance compares certflow with a bare x/crypto/acme loop on
// the same acmetest server (always-valid), 200 certificates per iteration
// at concurrency 8, ECDSA P-256, both using the server's own client
// (srv.Client(): net/http's default of 2 idle connections per host, as a
// program that does not tune its transport has). Run with -benchtime=1x;
// "certflow" reports its rate as a ratio of "bare" when both ran.
func BenchmarkACMEIssuance(b *testing.B) {
	benchIssuance(b, func(srv *acmetest.Server) *http.Client { return srv.Client() })
}

// BenchmarkACMEIssuancePooled is BenchmarkACMEIssuance with a transport
// keeping enough idle connections for every concurrent requester. With
// the default of 2 per host most requests open a new TLS connection and the
// CA's RSA handshake dominates both sides; here what remains is the cost of
// the ACME protocol and of certflow's own work.
func BenchmarkACMEIssuancePooled(b *testing.B) {
	benchIssuance(b, func(srv *acmetest.Server) *http.Client {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 4 * benchConcurrency
		return &http.Client{Transport: tr, Timeout: time.Minute}
	})
}

func benchIssuance(b *testing.B, client func(*acmetest.Server) *http.Client) {
	// Always valid: Pebble contacts nobody, but the Manager's HTTP-01
	// self-check still reaches its own handler.
	srv := acmetest.NewServer(b, acmetest.WithAlwaysValid())
	var bare float64
	b.Run("bare", func(b *testing.B) {
		bare = benchRate(b, func(ctx context.Context, round int) error { return bareLoop(ctx, srv, client(srv), round) })
	})
	b.Run("certflow", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		l, port := testrig.ListenLoopback(b)
		m, stop := benchManager(ctx, b, srv, client(srv), l, port)
		defer stop()
		rate := benchRate(b, func(ctx context.Context, round int) error { return certflowRound(ctx, m, round) })
		if bare > 0 {
			b.ReportMetric(rate/bare, "ratio")
		}
	})
}

// benchRate runs b.N rounds of benchCerts issuances and reports certs/s.
func benchRate(b *testing.B, round func(ctx context.Context, round int) error) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := round(ctx, i); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(b.N*benchCerts) / time.Since(start).Seconds()
	b.ReportMetric(rate, "certs/s")
	return rate
}

// bareLoop issues benchCerts certificates with x/crypto/acme directly:
// register once, then per certificate AuthorizeOrder, Accept each http-01
// challenge, WaitOrder, CreateCertFromOrder.
func bareLoop(ctx context.Context, srv *acmetest.Server, hc *http.Client, round int) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	cl := &acme.Client{Key: key, DirectoryURL: srv.DirectoryURL(), HTTPClient: hc}
	if _, err := cl.Register(ctx, &acme.Account{}, acme.AcceptTOS); err != nil {
		return err
	}
	work := make(chan int)
	errs := make(chan error, benchConcurrency)
	var wg sync.WaitGroup
	for w := 0; w < benchConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := bareIssue(ctx, cl, fmt.Sprintf("b%d-%d.bench.test", round, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var firstErr error
	for i := 0; i < benchCerts && firstErr == nil; i++ {
		select {
		case work <- i:
		case firstErr = <-errs:
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		firstErr = errors.Join(firstErr, err)
	}
	return firstErr
}

func bareIssue(ctx context.Context, cl *acme.Client, name string) error {
	o, err := cl.AuthorizeOrder(ctx, acme.DomainIDs(name))
	if err != nil {
		return err
	}
	for _, u := range o.AuthzURLs {
		a, err := cl.GetAuthorization(ctx, u)
		if err != nil {
			return err
		}
		for _, c := range a.Challenges {
			if c.Type == "http-01" {
				if _, err := cl.Accept(ctx, c); err != nil {
					return err
				}
			}
		}
	}
	if o, err = cl.WaitOrder(ctx, o.URI); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{name}}, key)
	if err != nil {
		return err
	}
	_, _, err = cl.CreateCertFromOrder(ctx, o, csr, true)
	return err
}

// benchManager runs a Manager (memory store, 8 workers) with its HTTP-01
// handler on l and a Ready ACME issuer "acme" in namespace "bench".
func benchManager(ctx context.Context, b *testing.B, srv *acmetest.Server, hc *http.Client, l net.Listener, port int) (*certflow.Manager, func()) {
	cfg := certflow.Config{Store: memory.New(), HTTPClient: hc, Workers: benchConcurrency}
	cfg.ACME.HTTP01Port, cfg.ACME.Dial = port, srv.Dial
	m, err := certflow.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	hs := &http.Server{Handler: m.HTTPHandler(http.NotFoundHandler()), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(l) }()
	stop := func() { cancel(); <-done; _ = hs.Close() }
	iss := &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server: srv.DirectoryURL(), PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"},
			Solvers: []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
		}},
	}
	if err := m.Apply(ctx, iss); err != nil {
		stop()
		b.Fatal(err)
	}
	return m, stop
}

// certflowRound applies benchCerts Certificates and waits until all are Ready.
func certflowRound(ctx context.Context, m *certflow.Manager, round int) error {
	refs := make([]meta.Ref, benchCerts)
	for i := range refs {
		name := fmt.Sprintf("c%d-%d", round, i)
		c := testrig.ACMECertificate("bench", name, "acme", name+".bench.test")
		if err := m.Apply(ctx, c); err != nil {
			return err
		}
		refs[i] = meta.RefOf(c)
	}
	for _, ref := range refs {
		if err := m.WaitReady(ctx, ref); err != nil {
			st, _ := m.Status(context.Background(), ref)
			return fmt.Errorf("%s: %w\n%v", ref, err, st)
		}
	}
	return nil
}
