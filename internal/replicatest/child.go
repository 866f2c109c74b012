package replicatest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/manifest"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
)

// EnvChild names, in a replica process's environment, the file holding its
// ChildConfig.
const EnvChild = "CERTFLOW_REPLICATEST_CHILD"

// ChildConfig is what a replica process is started with.
type ChildConfig struct {
	// Index numbers the replica within its Cluster, from 0.
	Index int `json:"index"`
	// Store is handed to the Opener as is.
	Store json.RawMessage `json:"store"`
	// CAPEM holds the roots the ACME server's TLS certificate chains to. If
	// empty, the system roots are used.
	CAPEM string `json:"caPEM,omitempty"`
	// DNSURL is the Front's DNS provider API. If empty, the replica has no
	// DNS-01 provider.
	DNSURL string `json:"dnsURL,omitempty"`
	// Manifest holds the objects the replica applies once its Manager runs
	// (manifest.Decode's input).
	Manifest string `json:"manifest,omitempty"`
	// Workers is the Manager's Workers. If zero, the Manager's default.
	Workers int `json:"workers,omitempty"`
	// ShareWork is the Manager's ShareWork.
	ShareWork bool `json:"shareWork,omitempty"`
	// LogLevel is the least level of the Manager's log lines, which go to
	// stderr. If empty, warnings and errors.
	LogLevel string `json:"logLevel,omitempty"`
	// OnDemand, if set, turns on the Manager's on-demand issuance, which
	// the replica's TLS listener answers.
	OnDemand *OnDemand `json:"onDemand,omitempty"`
	// Control, if set, lets the parent hold the replica's watch and claims
	// (Cluster.HoldWatch, Cluster.OpenClaims). If nil, commands are refused.
	Control *Control `json:"control,omitempty"`
}

// OnDemand is the on-demand issuance of a replica (certflow.OnDemandConfig).
type OnDemand struct {
	// Allow lists the names the policy allows (certflow.AllowNames
	// patterns, such as "*.ondemand.test"); every other name is denied.
	Allow []string `json:"allow"`
	// Issuer names the Issuer, in the namespace "default", of the
	// on-demand Certificates (which get ECDSA P-256 keys).
	Issuer string `json:"issuer"`
	// Burst is both the rate limit's Burst and MaxConcurrentPerIssuer: how
	// many new names the replica takes on at once. If zero, the defaults.
	Burst int `json:"burst,omitempty"`
	// HandshakeTimeout is how long a handshake waits for its certificate
	// (and the replica's TLS server lets a handshake take). If zero, the
	// default.
	HandshakeTimeout time.Duration `json:"handshakeTimeout,omitempty"`
}

// config is the Manager's OnDemandConfig.
func (o *OnDemand) config() *certflow.OnDemandConfig {
	return &certflow.OnDemandConfig{
		Allow: certflow.AllowNames(o.Allow...),
		Template: certificate.Certificate{
			ObjectMeta: meta.ObjectMeta{Namespace: "default"},
			Spec: certificate.Spec{
				IssuerRef:  meta.IssuerRef{Kind: meta.KindIssuer, Name: o.Issuer},
				PrivateKey: &certificate.PrivateKey{Algorithm: certificate.ECDSA, Size: 256},
			},
		},
		Burst:                  o.Burst,
		MaxConcurrentPerIssuer: o.Burst,
		HandshakeTimeout:       o.HandshakeTimeout,
	}
}

// handshakeTimeout is how long the replica's TLS server lets a handshake
// take: longer than an on-demand handshake may wait for its certificate.
func (cfg ChildConfig) handshakeTimeout() time.Duration {
	const plain = 5 * time.Second
	if cfg.OnDemand == nil {
		return plain
	}
	wait := cfg.OnDemand.HandshakeTimeout
	if wait == 0 {
		wait = 30 * time.Second // OnDemandConfig's default
	}
	return wait + plain
}

// Opener opens the Store a replica shares with the others, from
// cfg.Store; close is called when the replica stops.
type Opener func(ctx context.Context, cfg ChildConfig) (st store.Store, close func(), err error)

// Child runs a replica and exits when this process was started as one by
// a Cluster (EnvChild is set); otherwise it returns at once. Call it first
// thing in main or TestMain. The replica runs until its stdin closes; the
// lines written to it are the parent's commands (Control).
func Child(open Opener) {
	path := os.Getenv(EnvChild)
	if path == "" {
		return
	}
	if err := runChild(path, open); err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func runChild(path string, open Opener) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cfg ChildConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	objects, err := manifest.Decode([]byte(cfg.Manifest))
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	st, closeStore, err := open(ctx, cfg)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer closeStore()

	rep := newReporter(os.Stdout)
	var held *heldStore
	if cfg.Control != nil {
		held = newHeldStore(st, cfg.Control, rep)
		st = held
	}
	// The parent closes stdin to stop the replica, and so does its death.
	go func() {
		serveCommands(os.Stdin, held, rep)
		cancel()
	}()
	httpL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer httpL.Close()
	tlsL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer tlsL.Close()
	httpPort, tlsPort := httpL.Addr().(*net.TCPAddr).Port, tlsL.Addr().(*net.TCPAddr).Port

	mcfg, err := managerConfig(cfg, st, rep, httpPort, tlsPort)
	if err != nil {
		return err
	}
	m, err := certflow.New(mcfg)
	if err != nil {
		return err
	}
	serveReplica(ctx, m, cfg.Index, cfg.handshakeTimeout(), httpL, tlsL)

	runErr := make(chan error, 1)
	go func() { runErr <- m.Run(ctx) }()
	rep.send(Report{Type: ReportListening, HTTPPort: httpPort, TLSPort: tlsPort})
	for _, o := range objects {
		if err := m.Apply(ctx, o); err != nil {
			cancel()
			<-runErr
			return fmt.Errorf("apply %s/%s: %w", o.GetKind(), o.GetMeta().Name, err)
		}
	}
	if err := <-runErr; !errors.Is(err, context.Canceled) {
		return fmt.Errorf("manager: %w", err)
	}
	return nil
}

// managerConfig is the Manager of replica cfg.Index: its self-checks ask
// its own listeners, its ACME requests and effects are reported.
func managerConfig(cfg ChildConfig, st store.Store, rep *reporter, httpPort, tlsPort int) (certflow.Config, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAPEM != "" {
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM([]byte(cfg.CAPEM)) {
			return certflow.Config{}, errors.New("no certificate in CAPEM")
		}
		tlsCfg.RootCAs = roots
	}
	level := slog.LevelWarn
	if cfg.LogLevel != "" {
		if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
			return certflow.Config{}, fmt.Errorf("log level: %w", err)
		}
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = 8
	}
	tr := &http.Transport{TLSClientConfig: tlsCfg, MaxIdleConnsPerHost: 2 * workers}
	mcfg := certflow.Config{
		Store:      st,
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
		HTTPClient: &http.Client{Transport: &acmeReporter{next: tr, rep: rep}, Timeout: 30 * time.Second},
		Workers:    workers,
		ShareWork:  cfg.ShareWork,
		Observer:   effectReporter(rep),
	}
	if cfg.OnDemand != nil {
		mcfg.OnDemand = cfg.OnDemand.config()
	}
	mcfg.ACME.HTTP01Port, mcfg.ACME.TLSALPN01Port = httpPort, tlsPort
	mcfg.ACME.Dial = loopbackDial
	if cfg.DNSURL != "" {
		mcfg.DNS01Providers = map[string]solver.DNS01Provider{DNSProviderName: &dnsProvider{url: cfg.DNSURL, replica: cfg.Index}}
	}
	return mcfg, nil
}

// loopbackDial sends the self-checks, addressed to the names being
// validated, to this machine: every name of the tests is served here.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
}

// serveReplica serves HTTP-01 on httpL and TLS on tlsL (certificates,
// on-demand issuance and TLS-ALPN-01) until ctx ends, allowing a TLS
// handshake handshakeTimeout. Over TLS the replica answers any request
// with its index, so a client can tell which replica it reached.
func serveReplica(ctx context.Context, m *certflow.Manager, index int, handshakeTimeout time.Duration, httpL, tlsL net.Listener) {
	httpSrv := &http.Server{Handler: m.HTTPHandler(http.NotFoundHandler()), ReadHeaderTimeout: 5 * time.Second}
	tlsSrv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, strconv.Itoa(index))
		}),
		// An http.Server bounds a TLS handshake by ReadHeaderTimeout.
		ReadHeaderTimeout: handshakeTimeout,
		// Handshakes the parent aborts on purpose are not worth a line.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() { _ = httpSrv.Serve(httpL) }()
	go func() { _ = tlsSrv.Serve(tls.NewListener(tlsL, m.TLSConfig())) }()
	go func() {
		<-ctx.Done()
		_ = httpSrv.Close()
		_ = tlsSrv.Close()
	}()
}
