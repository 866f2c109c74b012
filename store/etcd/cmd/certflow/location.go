package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/certflow/certflow/cmd/certflow/cli"
	"github.com/certflow/certflow/store/etcd"
)

// PasswordEnv names the environment variable holding the etcd password
// when the location names a user and no password-file.
const PasswordEnv = "CERTFLOW_ETCD_PASSWORD"

// defaultPort is etcd's client port, for a host given without one.
const defaultPort = "2379"

// locationError is a location that cannot be read: a usage error.
type locationError struct{ msg string }

func (e *locationError) Error() string { return "store etcd://: " + e.msg }

// Unwrap makes the command exit with its usage status.
func (e *locationError) Unwrap() error { return cli.ErrUsage }

func badLocation(format string, args ...any) error {
	return &locationError{fmt.Sprintf(format, args...)}
}

// openEtcd is the etcd:// opener; getenv reads PasswordEnv.
func openEtcd(getenv func(string) string) cli.StoreOpener {
	return func(_ context.Context, location string) (cli.Store, error) {
		cfg, err := parseLocation(location, getenv)
		if err != nil {
			return nil, err
		}
		return etcd.Open(cfg)
	}
}

// Query options of an etcd:// location.
const (
	optTLS            = "tls"             // "true": https endpoints, verified against the system roots or ca
	optCA             = "ca"              // PEM file of the CAs signing etcd's server certificates (implies tls)
	optCert           = "cert"            // PEM client certificate, for --client-cert-auth (implies tls; needs key)
	optKey            = "key"             // its PEM key
	optUser           = "user"            // user to log in as (or USER@ before the hosts)
	optPasswordFile   = "password-file"   // file holding the user's password (else PasswordEnv)
	optDialTimeout    = "dial-timeout"    // etcd.Config.DialTimeout, a Go duration
	optRequestTimeout = "request-timeout" // etcd.Config.RequestTimeout, a Go duration
)

var knownOptions = []string{optCA, optCert, optDialTimeout, optKey, optPasswordFile, optRequestTimeout, optTLS, optUser}

// parseLocation reads what follows "etcd://":
// [USER@]HOST[:PORT][,HOST[:PORT]…][/PREFIX][?OPTION=VALUE&…], the port
// 2379 when omitted, the prefix etcd.DefaultPrefix when empty. A password
// in the location (USER:PASSWORD@ or password=) is refused without
// repeating it: process arguments are visible to every user.
func parseLocation(location string, getenv func(string) string) (etcd.Config, error) {
	var cfg etcd.Config
	rest, rawQuery, _ := strings.Cut(location, "?")
	hosts, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(hosts, "@"); at >= 0 {
		if strings.Contains(hosts[:at], ":") {
			return cfg, badLocation("a password in the location is refused (process arguments are public): "+
				"put it in a file named by %s= or in %s", optPasswordFile, PasswordEnv)
		}
		cfg.Username, hosts = hosts[:at], hosts[at+1:]
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return cfg, badLocation("options: %v", err)
	}
	if q.Has("password") {
		return cfg, badLocation("a password in the location is refused (process arguments are public): "+
			"put it in a file named by %s= or in %s", optPasswordFile, PasswordEnv)
	}
	for k, v := range q {
		if !slices.Contains(knownOptions, k) {
			return cfg, badLocation("unknown option %q (known: %s)", k, strings.Join(knownOptions, ", "))
		}
		if len(v) > 1 {
			return cfg, badLocation("option %q given %d times", k, len(v))
		}
	}
	secure, err := tlsWanted(q)
	if err != nil {
		return cfg, err
	}
	scheme := "http://"
	if secure {
		scheme = "https://"
	}
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			return cfg, badLocation("%q: a host is empty (want HOST:PORT[,HOST:PORT…])", hosts)
		}
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(strings.Trim(h, "[]"), defaultPort)
		}
		if _, port, err := net.SplitHostPort(h); err != nil || !validPort(port) {
			return cfg, badLocation("%q is not HOST:PORT", h)
		}
		cfg.Endpoints = append(cfg.Endpoints, scheme+h)
	}
	if path != "" {
		cfg.Prefix = "/" + path
	}
	cfg.CAFile, cfg.CertFile, cfg.KeyFile = q.Get(optCA), q.Get(optCert), q.Get(optKey)
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return cfg, badLocation("set both %s= and %s=, or neither", optCert, optKey)
	}
	if u := q.Get(optUser); u != "" {
		if cfg.Username != "" && cfg.Username != u {
			return cfg, badLocation("two users: %q@ and %s=%q", cfg.Username, optUser, u)
		}
		cfg.Username = u
	}
	if cfg.Password, err = password(cfg.Username, q.Get(optPasswordFile), getenv); err != nil {
		return cfg, err
	}
	if cfg.DialTimeout, err = duration(q, optDialTimeout); err != nil {
		return cfg, err
	}
	if cfg.RequestTimeout, err = duration(q, optRequestTimeout); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// tlsWanted reads tls=, which ca, cert and key imply.
func tlsWanted(q url.Values) (bool, error) {
	files := q.Get(optCA) != "" || q.Get(optCert) != "" || q.Get(optKey) != ""
	if !q.Has(optTLS) {
		return files, nil
	}
	on, err := strconv.ParseBool(q.Get(optTLS))
	if err != nil {
		return false, badLocation("%s=%q: want true or false", optTLS, q.Get(optTLS))
	}
	if !on && files {
		return false, badLocation("%s=false with %s=, %s= or %s=", optTLS, optCA, optCert, optKey)
	}
	return on, nil
}

// password is the user's password: from file (trailing newline removed),
// else from PasswordEnv. A user needs one; a password needs a user.
func password(user, file string, getenv func(string) string) (string, error) {
	if user == "" && file != "" {
		return "", badLocation("%s= without a user (USER@HOST or %s=)", optPasswordFile, optUser)
	}
	var pw string
	switch {
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			// The path only: the error never holds the file's content.
			return "", fmt.Errorf("store etcd://: %s: %w", optPasswordFile, err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	default:
		pw = getenv(PasswordEnv)
	}
	switch {
	case user == "":
		return "", nil // PasswordEnv set for another use: not ours to refuse
	case pw == "":
		return "", badLocation("user %q has no password: set %s or %s=FILE", user, PasswordEnv, optPasswordFile)
	}
	return pw, nil
}

func duration(q url.Values, opt string) (time.Duration, error) {
	v := q.Get(opt)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, badLocation("%s=%q: want a positive duration such as 5s", opt, v)
	}
	return d, nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}
