package etcdtest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// startTimeout bounds how long a start or restart waits for the server to
// be ready.
const startTimeout = 30 * time.Second

// Option configures New and Start.
type Option func(*options)

type options struct {
	dir            string
	logger         *zap.Logger
	user, password string
	tls            bool
	quota          int64
	noFsync        bool
}

// WithDir keeps the server's data in dir, which Close leaves in place. If
// absent, a fresh temporary directory is used and Close removes it.
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithLogger sends the server's logs to lg. If absent they are discarded
// (etcd logs several errors on every clean shutdown).
func WithLogger(lg *zap.Logger) Option { return func(o *options) { o.logger = lg } }

// WithAuth turns authentication on: user (with etcd's root role, and the
// root user too when user is not "root") must log in with password.
// Client() then logs in as user.
func WithAuth(user, password string) Option {
	return func(o *options) { o.user, o.password = user, password }
}

// WithTLS serves clients over TLS only, with certificates made for the
// server (see Server.TLS), and requires clients to present the client
// certificate (etcd's --client-cert-auth).
func WithTLS() Option { return func(o *options) { o.tls = true } }

// WithQuota sets the member's backend quota (etcd's --quota-backend-bytes)
// to bytes. If absent (or bytes <= 0), etcd's default of 2 GiB is used,
// which 100k certificates' objects and their history exceed.
func WithQuota(bytes int64) Option { return func(o *options) { o.quota = bytes } }

// WithoutFsync runs etcd without fsync (its --unsafe-no-fsync): a crash of
// the machine may lose recent writes, which a test that never crashes it
// does not see; each write no longer waits for the disk.
func WithoutFsync() Option { return func(o *options) { o.noFsync = true } }

// Server is one etcd member running in this process, listening on
// 127.0.0.1 only. It is safe for concurrent use.
type Server struct {
	opts   options
	dir    string
	ownDir bool
	proxy  *proxy // what clients connect to
	tls    *TLSFiles
	// clientTLS is what clients of a TLS server present and trust.
	clientTLS *tls.Config

	mu     sync.Mutex
	etcd   *embed.Etcd // nil while stopped
	client *clientv3.Client
	closed bool
}

// Start starts a server for a test and closes it when the test ends. A
// server that cannot start fails the test: it needs nothing from the
// machine but two loopback ports.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("etcdtest: close: %v", err)
		}
	})
	return s
}

// New starts a server and returns once it serves clients. Close it.
func New(opts ...Option) (*Server, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = zap.NewNop()
	}
	s := &Server{opts: o, dir: o.dir}
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "etcdtest-")
		if err != nil {
			return nil, fmt.Errorf("start: %w", err)
		}
		s.dir, s.ownDir = dir, true
	}
	if o.tls {
		files, err := writeTLSFiles(filepath.Join(s.dir, "tls"))
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("start: certificates: %w", err)
		}
		if s.clientTLS, err = files.clientTLS(); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("start: certificates: %w", err)
		}
		s.tls = &files
	}
	p, err := newProxy()
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("start: %w", err)
	}
	s.proxy = p
	err = s.start()
	if err == nil && o.user != "" {
		err = s.enableAuth()
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// start starts etcd on s's directory and ports. s.mu must not be held by
// another start.
func (s *Server) start() error {
	cfg := embed.NewConfig()
	cfg.Name = "etcdtest"
	cfg.Dir = filepath.Join(s.dir, "data")
	// etcd picks free ports itself (the proxy's address is the stable one).
	loopback := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	client := loopback
	if s.tls != nil {
		client.Scheme = "https"
		cfg.ClientTLSInfo = transport.TLSInfo{
			CertFile: s.tls.serverCert, KeyFile: s.tls.serverKey,
			TrustedCAFile: s.tls.CA, ClientCertAuth: true,
		}
	}
	cfg.ListenClientUrls = []url.URL{client}
	cfg.AdvertiseClientUrls = []url.URL{client}
	cfg.ListenPeerUrls = []url.URL{loopback}
	cfg.AdvertisePeerUrls = []url.URL{loopback}
	cfg.InitialCluster = cfg.Name + "=" + loopback.String()
	cfg.LogLevel = "error"
	if s.opts.quota > 0 {
		cfg.QuotaBackendBytes = s.opts.quota
	}
	cfg.UnsafeNoFsync = s.opts.noFsync
	// bcrypt's least cost (bcrypt.MinCost): every login hashes the
	// password, and at the default cost (10) under the race detector on a
	// loaded machine one took longer than a client's five-second dial
	// timeout.
	cfg.BcryptCost = 4
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(s.opts.logger)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return fmt.Errorf("start: %w", err)
	case <-timer.C:
		e.Close()
		return fmt.Errorf("start: not ready after %v", startTimeout)
	}
	s.mu.Lock()
	s.etcd = e
	s.mu.Unlock()
	s.proxy.route(e.Clients[0].Addr().String())
	return nil
}

// enableAuth creates the user (and root) and turns authentication on.
func (s *Server) enableAuth() error {
	cfg := s.ClientConfig()
	cfg.Username, cfg.Password = "", ""
	c, err := clientv3.New(cfg)
	if err != nil {
		return fmt.Errorf("enable auth: %w", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	users := []string{s.opts.user}
	if s.opts.user != "root" {
		users = append(users, "root")
	}
	for _, u := range users {
		if _, err := c.UserAdd(ctx, u, s.opts.password); err != nil {
			return fmt.Errorf("enable auth: add user %s: %w", u, err)
		}
		if _, err := c.UserGrantRole(ctx, u, "root"); err != nil {
			return fmt.Errorf("enable auth: grant root to %s: %w", u, err)
		}
	}
	if _, err := c.AuthEnable(ctx); err != nil {
		return fmt.Errorf("enable auth: %w", err)
	}
	return nil
}

// Endpoints returns the client URLs, for clientv3.Config.Endpoints. They
// stay the same across Stop and Restart.
func (s *Server) Endpoints() []string {
	scheme := "http://"
	if s.tls != nil {
		scheme = "https://"
	}
	return []string{scheme + s.proxy.addr()}
}

// TLS returns the certificate files of a server started WithTLS, or nil.
func (s *Server) TLS() *TLSFiles { return s.tls }

// Dir returns the server's directory (etcd's data is in its "data").
func (s *Server) Dir() string { return s.dir }

// Client returns a client of the server (logged in when WithAuth is set),
// created on first use and closed by Close. It reconnects by itself
// across Stop and Restart.
func (s *Server) Client() (*clientv3.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("etcdtest: server closed")
	}
	if s.client != nil {
		return s.client, nil
	}
	c, err := clientv3.New(s.ClientConfig())
	if err != nil {
		return nil, fmt.Errorf("etcdtest: client: %w", err)
	}
	s.client = c
	return c, nil
}

// ClientConfig returns a configuration for a new client of the server
// (with the credentials set by WithAuth and a silent logger).
func (s *Server) ClientConfig() clientv3.Config {
	cfg := clientv3.Config{
		Endpoints:   s.Endpoints(),
		DialTimeout: 5 * time.Second,
		Username:    s.opts.user,
		Password:    s.opts.password,
		Logger:      zap.NewNop(),
	}
	if s.clientTLS != nil {
		cfg.TLS = s.clientTLS.Clone()
	}
	return cfg
}

// Stop stops the server, keeping its data and endpoints for Restart. Every
// client connection is cut at once, as if etcd had died: clients see it as
// unavailable until Restart. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	e := s.etcd
	s.etcd = nil
	s.mu.Unlock()
	if s.proxy != nil {
		s.proxy.route("")
		s.proxy.cut()
	}
	if e != nil {
		e.Close()
	}
}

// Restart starts a stopped server again with the same data and ports.
// Restarting a running server does nothing.
func (s *Server) Restart() error {
	s.mu.Lock()
	running, closed := s.etcd != nil, s.closed
	s.mu.Unlock()
	if closed {
		return errors.New("etcdtest: restart: server closed")
	}
	if running {
		return nil
	}
	if err := s.start(); err != nil {
		return fmt.Errorf("etcdtest: re%w", err)
	}
	return nil
}

// Compact makes etcd forget every revision before rev, as its periodic
// compaction does: a watch from an older revision then fails.
func (s *Server) Compact(ctx context.Context, rev int64) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	if _, err := c.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		return fmt.Errorf("etcdtest: compact %d: %w", rev, err)
	}
	return nil
}

// Close stops the server, closes the client from Client and removes the
// data directory unless WithDir chose it.
func (s *Server) Close() error {
	s.mu.Lock()
	c := s.client
	s.client, s.closed = nil, true
	s.mu.Unlock()
	var errs []error
	if c != nil {
		errs = append(errs, c.Close())
	}
	s.Stop()
	if s.proxy != nil {
		s.proxy.close()
	}
	if s.ownDir {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}
