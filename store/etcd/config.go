package etcd

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/clock"
)

// Defaults for Config's zero fields.
const (
	DefaultPrefix         = "/certflow/"
	DefaultDialTimeout    = 5 * time.Second
	DefaultRequestTimeout = 10 * time.Second
	DefaultSessionTTL     = 5 * time.Second
	DefaultPageSize       = 500
	DefaultPageBytes      = 16 << 20
	DefaultWatchBuffer    = 1024
)

// Config says how to reach etcd and how to lay the store out in it. Every
// field's zero value is a documented default; Endpoints (or Client) is the
// only field that must be set.
type Config struct {
	// Endpoints are etcd's client URLs, e.g. "https://10.0.0.1:2379".
	// Required unless Client is set.
	Endpoints []string
	// Client, if set, is used instead of a client built from the fields
	// below (Endpoints, DialTimeout, TLS, CAFile, CertFile, KeyFile,
	// Username and Password must then be empty). Close leaves it open.
	Client *clientv3.Client

	// DialTimeout bounds logging in with Username and Password when the
	// store opens. If zero, DefaultDialTimeout is used.
	DialTimeout time.Duration
	// RequestTimeout bounds every operation whose context has no earlier
	// deadline, so an unreachable etcd fails an operation (ErrUnavailable)
	// instead of blocking it for ever. If zero, DefaultRequestTimeout.
	RequestTimeout time.Duration

	// TLS is the client TLS configuration. If nil and CAFile, CertFile or
	// KeyFile is set, one is built from the files; if all are empty,
	// https endpoints are verified against the system roots.
	TLS *tls.Config
	// CAFile is a PEM bundle of the CAs that sign etcd's server
	// certificates. If empty, the system roots are used.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// etcd's --client-cert-auth. Both or neither.
	CertFile, KeyFile string

	// Username and Password log in to etcd with auth enabled. Both or
	// neither. The password appears in no error and no log line.
	Username, Password string

	// Prefix is prepended to every key the store writes; a '/' is added
	// if it does not end with one. If empty, DefaultPrefix is used. Stores
	// with different prefixes share one etcd without seeing each other.
	Prefix string
	// SessionTTL is the TTL of the etcd lease that every lock of this
	// store is bound to: when the process dies its locks vanish within
	// about this long. etcd counts whole seconds (rounded up) with a
	// minimum of its own (usually 2 s). If zero, DefaultSessionTTL.
	SessionTTL time.Duration
	// PageSize is how many objects List reads per request. If zero, the
	// first request reads DefaultPageSize and each next one as many
	// objects as fit in DefaultPageBytes at the size of the last page's
	// (the larger of their average and its last quarter's), but at most
	// twice as many as the one before: etcd counts every key left in the
	// range for each page it answers, so pages of a fixed size make a
	// long list quadratic (100k Secrets in pages of 500 cost etcd two
	// seconds of CPU in its index alone). No growing page is received
	// past DefaultPageBytes on the client the store dials from
	// Endpoints: pages are sized to fill three quarters of it, and the
	// page where objects turn larger than that allows is refused by gRPC
	// before it is decoded and read again in halves, the pages after it
	// sized from the larger objects (only an object larger than
	// DefaultPageBytes on its own is read alone). A Client is read
	// through its own KV (which may be namespace.NewKV's, a remote of the
	// caller's, or etcd's in-process v3client), its pages bounded only by
	// its receive limit (MaxCallRecvMsgSize), after whose first refusal
	// they are halved and grow no more. A PageSize set is kept as it is:
	// a page the client refuses fails the List. Scan pages the same way,
	// its pages (of keys alone, then of objects) growing toward 4 MiB (it
	// holds two pages of objects per kind, the one it hands over and the
	// next), and it halves a refused page whatever PageSize says; a page
	// of objects also ends at most some 2,000 keys of its kind on, so
	// etcd counts no more keys for it. With PageSize set, a Scan's pages
	// of objects hold at most PageSize objects and its pages of keys
	// alone 10,000 keys (a key without its value is some 200 bytes once
	// decoded).
	PageSize int
	// WatchBuffer is how many undelivered events a watch holds for its
	// consumer. A consumer that falls that far behind loses nothing: the
	// watch stops reading etcd until it reads again, then catches up from
	// etcd's history (only a compaction past it ends the watch with
	// store.ErrCompacted). If zero, DefaultWatchBuffer.
	WatchBuffer int

	// Clock stamps CreationTime and decides when locks expire. If nil,
	// clock.Real is used.
	Clock clock.Clock
	// Logger receives the store's and the etcd client's warnings. If nil,
	// they are discarded.
	Logger *slog.Logger
}

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	if c.Client != nil {
		if len(c.Endpoints) > 0 || c.TLS != nil || c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.Username != "" || c.Password != "" {
			return c, errors.New("etcd: config: with Client set, leave Endpoints, TLS, files and credentials empty")
		}
	} else if len(c.Endpoints) == 0 {
		return c, errors.New("etcd: config: no Endpoints")
	}
	if (c.Username == "") != (c.Password == "") {
		return c, errors.New("etcd: config: set both Username and Password, or neither")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return c, errors.New("etcd: config: set both CertFile and KeyFile, or neither")
	}
	if c.TLS != nil && (c.CAFile != "" || c.CertFile != "") {
		return c, errors.New("etcd: config: set TLS or CAFile/CertFile/KeyFile, not both")
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	if c.WatchBuffer <= 0 {
		c.WatchBuffer = DefaultWatchBuffer
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// tlsConfig returns the TLS configuration the client dials with, or nil.
func (c Config) tlsConfig() (*tls.Config, error) {
	if c.TLS != nil {
		return c.TLS.Clone(), nil
	}
	if c.CAFile == "" && c.CertFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: config: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd: config: CA file %s holds no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		// crypto/tls's errors name what is wrong, never the key's bytes.
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: config: client certificate %s: %w", c.CertFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
