package bindtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Zone is one primary zone served by the test's named.
type Zone struct {
	// Name is the zone apex, e.g. "example.test" (a trailing dot is optional).
	Name string
	// Records are extra zone-file lines relative to the apex, e.g.
	// "_acme-challenge.alias IN CNAME alias.delegated.test.". The SOA, the NS
	// records and their A records are always written.
	Records []string
	// NS are the nameserver labels below the apex (each gets an A record for
	// Options.IP, or for its entry in NSAddrs). If empty, "ns1" is used.
	NS []string
	// NSAddrs maps an NS label to its A record. If a label is missing, the
	// server's own IP is used.
	NSAddrs map[string]string
	// ReadOnly, if true, omits the update-policy: the zone takes no updates.
	ReadOnly bool
}

// Options parameterise Start. The zero value serves one zone, example.test.
type Options struct {
	// Zones are the primary zones. If empty, a single "example.test" is served.
	Zones []Zone
	// IP is the loopback address to listen on. If empty, 127.0.0.1.
	IP string
	// Port is the port to listen on (UDP and TCP). If 0, a free one is picked.
	Port int
	// KeyName is the TSIG key name. If empty, "acme-key.".
	KeyName string
	// Secret is the base64 TSIG secret. If empty, 32 random bytes are used.
	Secret string
	// Algorithm is the key's TSIG algorithm as miekg/dns names it
	// (dns.HmacSHA512, …). If empty, dns.HmacSHA256.
	Algorithm string
}

// Server is a running named. It is stopped by the test's cleanup.
type Server struct {
	// Addr is IP:Port, for a dns.Client.
	Addr string
	// IP and Port are where named listens (UDP and TCP).
	IP   string
	Port int
	// KeyName is the canonical TSIG key name (lower case, trailing dot).
	KeyName string
	// Algorithm is the TSIG algorithm as miekg/dns names it (Options.Algorithm).
	Algorithm string
	// Secret is the base64 TSIG secret; for the test only, never log it.
	Secret string
	// Zones are the canonical zone names served.
	Zones []string
	// Dir is the temporary directory holding named.conf, zones and named.log.
	Dir string
}

// NamedPath returns the path of named, or "" when it is not installed.
func NamedPath() string {
	if p, err := exec.LookPath("named"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/named", "/usr/local/sbin/named"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Require skips the test when named is missing, or fails it when CI=true.
// It returns named's path.
func Require(t testing.TB) string {
	t.Helper()
	return requireNamed(t, NamedPath(), os.Getenv("CI") == "true")
}

func requireNamed(t testing.TB, path string, ci bool) string {
	t.Helper()
	if path != "" {
		return path
	}
	const msg = "bindtest: named not found; install it with: apt-get install -y --no-install-recommends bind9 bind9-utils bind9-dnsutils"
	if ci {
		t.Fatal(msg + " (CI=true: a missing named fails the test)")
		return ""
	}
	t.Skip(msg)
	return ""
}

// errExited means named exited before it was ready, typically because
// another process took the port in the moment after FreePort released it.
var errExited = errors.New("named exited before it was ready")

// Start writes a configuration into a fresh t.TempDir, starts named on a
// free loopback port, waits until it answers SOA for every zone, and
// registers a cleanup that stops it with SIGTERM and waits for it. When the
// port was picked here and named exits at once, it retries on another port.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	named := Require(t)
	for attempt := 1; ; attempt++ {
		s, err := startOnce(t, named, opts)
		if err == nil {
			return s
		}
		if opts.Port != 0 || !errors.Is(err, errExited) || attempt == 3 {
			t.Fatalf("bindtest: %v", err)
			return nil
		}
		t.Logf("bindtest: retrying on another port: %v", err)
	}
}

func startOnce(t testing.TB, named string, opts Options) (*Server, error) {
	s, err := newServer(t, opts)
	if err != nil {
		return nil, err
	}
	conf, err := s.writeFiles(opts)
	if err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}
	logPath := filepath.Join(s.Dir, "named.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(named, "-g", "-4", "-n", "1", "-c", conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start named: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })

	if err := s.waitReady(p, logPath); err != nil {
		if errors.Is(err, errExited) {
			_ = p.cmd.Process.Kill() // it is dying already; its shutdown can take seconds
			<-p.done
		}
		p.stop(t)
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("named on %s not ready: %w\n--- named.log ---\n%s", s.Addr, err, log)
	}
	return s, nil
}

// process is a started named; done is closed once Wait has returned.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result, readable after done
}

// stop sends SIGTERM, waits up to 10 s, then kills. Calling it again, or
// after named exited by itself, is harmless.
func (p *process) stop(t testing.TB) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("bindtest: named did not stop on SIGTERM within 10s; killed")
	}
}

func newServer(t testing.TB, opts Options) (*Server, error) {
	ip := opts.IP
	if ip == "" {
		ip = "127.0.0.1"
	}
	port := opts.Port
	if port == 0 {
		port = FreePort(t, ip)
	}
	key := opts.KeyName
	if key == "" {
		key = "acme-key"
	}
	secret := opts.Secret
	if secret == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		secret = base64.StdEncoding.EncodeToString(b)
	}
	alg := opts.Algorithm
	if alg == "" {
		alg = dns.HmacSHA256
	}
	s := &Server{
		Addr: net.JoinHostPort(ip, strconv.Itoa(port)), IP: ip, Port: port,
		KeyName: dns.CanonicalName(key), Algorithm: dns.CanonicalName(alg), Secret: secret,
		Dir: t.TempDir(),
	}
	if len(opts.Zones) == 0 {
		opts.Zones = []Zone{{Name: "example.test"}}
	}
	for _, z := range opts.Zones {
		s.Zones = append(s.Zones, dns.CanonicalName(z.Name))
	}
	return s, nil
}

// fatalLine is what named logs when it gives up, seconds before it exits.
const fatalLine = "exiting (due to fatal error)"

// waitReady polls SOA of every zone until all answer, named exits or logs
// a fatal error, or 15 s pass.
func (s *Server) waitReady(p *process, logPath string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		probe, cancelProbe := context.WithTimeout(ctx, 250*time.Millisecond)
		last = s.answersSOA(probe)
		cancelProbe()
		if last == nil {
			return nil
		}
		if log, _ := os.ReadFile(logPath); strings.Contains(string(log), fatalLine) {
			return fmt.Errorf("%w: it logged %q", errExited, fatalLine)
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w: %v", errExited, p.err)
		case <-ctx.Done():
			return fmt.Errorf("timeout; last probe: %w", last)
		case <-tick.C:
		}
	}
}

func (s *Server) answersSOA(ctx context.Context) error {
	for _, z := range s.Zones {
		r, err := s.Query(ctx, z, dns.TypeSOA)
		if err != nil {
			return err
		}
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
			return fmt.Errorf("SOA %s: %s", z, dns.RcodeToString[r.Rcode])
		}
	}
	return nil
}

// Query sends one non-recursive query over UDP (TCP if truncated) to the server.
func (s *Server) Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	return query(ctx, s.Addr, name, qtype)
}

// TXT returns every TXT value (strings of one record joined) at name, or
// nil for NXDOMAIN/NODATA. Any other outcome fails the test.
func (s *Server) TXT(t testing.TB, name string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := s.Query(ctx, name, dns.TypeTXT)
	if err != nil {
		t.Fatalf("bindtest: TXT %s: %v", name, err)
	}
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		t.Fatalf("bindtest: TXT %s: %s", name, dns.RcodeToString[r.Rcode])
	}
	var out []string
	for _, rr := range r.Answer {
		if txt, ok := rr.(*dns.TXT); ok && strings.EqualFold(txt.Hdr.Name, dns.Fqdn(name)) {
			out = append(out, strings.Join(txt.Txt, ""))
		}
	}
	return out
}

func query(ctx context.Context, addr, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = false
	c := &dns.Client{Timeout: 2 * time.Second}
	r, _, err := c.ExchangeContext(ctx, m, addr)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.ExchangeContext(ctx, m, addr)
	}
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("no reply")
	}
	return r, nil
}
