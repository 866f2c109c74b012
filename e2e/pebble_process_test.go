package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pebbleModule is the Pebble command this module pins in go.mod; the
// standalone process is built from it, so it is the same Pebble acmetest
// embeds.
const pebbleModule = "github.com/letsencrypt/pebble/v2/cmd/pebble"

// pebbleProcess is Pebble running as its own process on 127.0.0.1, so a
// benchmark against it does not share a process (a scheduler, a garbage
// collector, acmetest's request serialisation) with the CA.
type pebbleProcess struct {
	// DirectoryURL is the ACME directory.
	DirectoryURL string
	// roots trusts the process's HTTPS certificate.
	roots *x509.CertPool
	// pid is the process's.
	pid  int
	proc *os.Process
	// out is the end of the process's output (stdout and stderr).
	out *lockedBuffer
	// exited is closed once the process is gone; exitErr then says how.
	exited  chan struct{}
	exitErr error
	// quit is set before the harness sends SIGQUIT, so the exit it causes
	// (status 2, Go's answer to SIGQUIT) is not taken for a crash.
	quit atomic.Bool
}

// pebbleConfig is what a benchmark chooses of the process's behaviour.
type pebbleConfig struct {
	// alwaysValid skips validation (PEBBLE_VA_ALWAYS_VALID).
	alwaysValid bool
	// httpPort is the port the VA validates HTTP-01 on; resolver the DNS
	// server (host:port, TCP) it resolves names with.
	httpPort int
	resolver string
	// bin is a Pebble built by buildPebble; if empty, one is built for
	// this process.
	bin string
}

// buildPebble builds Pebble from the pinned module into a temporary
// directory of tb and returns the binary, so processes started one after
// another need not link it again.
func buildPebble(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "pebble")
	build := exec.Command("go", "build", "-o", bin, pebbleModule)
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build %s: %v\n%s", pebbleModule, err, out)
	}
	return bin
}

// startPebble runs Pebble (cfg.bin, else built from the pinned module)
// until tb ends: ECDSA keys, one default profile, no Retry-After, no
// validation sleep, no rejected nonces and no authorization reuse
// (Pebble's defaults are 5% and 50%), as acmetest configures its
// in-process Pebble.
func startPebble(tb testing.TB, cfg pebbleConfig) *pebbleProcess {
	tb.Helper()
	dir := tb.TempDir()
	bin := cfg.bin
	if bin == "" {
		bin = buildPebble(tb)
	}
	certPEM, keyPEM, roots := loopbackTLS(tb)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(tb, certFile, certPEM, 0o644)
	writeFile(tb, keyFile, keyPEM, 0o600)
	port := freePort(tb)
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress": net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		"certificate":   certFile,
		"privateKey":    keyFile,
		"httpPort":      cfg.httpPort,
		"tlsPort":       0,
		"keyAlgorithm":  "ecdsa",
		"profiles":      map[string]any{"default": map[string]any{"description": "benchmark", "validityPeriod": 7776000}},
	}}
	data, err := json.Marshal(conf)
	if err != nil {
		tb.Fatal(err)
	}
	confFile := filepath.Join(dir, "pebble.json")
	writeFile(tb, confFile, data, 0o644)

	args := []string{"-config", confFile}
	if cfg.resolver != "" {
		args = append(args, "-dnsserver", cfg.resolver)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(),
		"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0",
		"PEBBLE_VA_ALWAYS_VALID="+strconv.FormatBool(cfg.alwaysValid))
	p := &pebbleProcess{
		DirectoryURL: fmt.Sprintf("https://127.0.0.1:%d/dir", port), roots: roots,
		out: &lockedBuffer{}, exited: make(chan struct{}),
	}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start pebble: %v", err)
	}
	p.pid, p.proc = cmd.Process.Pid, cmd.Process
	go func() {
		err := cmd.Wait()
		p.exitErr = err
		if p.quit.Load() {
			err = fmt.Errorf("%w (after the harness's SIGQUIT, not a crash)", err)
		}
		_, _ = fmt.Fprintf(p.out, "\npebble: %v\n", err)
		close(p.exited)
	}()
	tb.Cleanup(func() {
		_ = p.proc.Kill()
		<-p.exited
	})
	awaitListening(tb, port, p.exited, p.out)
	return p
}

// Client returns an HTTP client trusting the process, keeping up to
// idle connections to it (net/http keeps 2 by default, and a new TLS
// connection per request would measure handshakes, not ACME).
func (p *pebbleProcess) Client(idle int) *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: p.roots, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: idle,
		ForceAttemptHTTP2:   false,
	}}
}

// awaitListening waits until the process accepts connections on port. Pebble
// announces its address before it binds it, so nothing can be awaited but
// the port itself: it is tried every few milliseconds, for 30 s at most, and
// the process exiting ends the wait at once.
func awaitListening(tb testing.TB, port int, exited <-chan struct{}, out *lockedBuffer) {
	tb.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		select {
		case <-exited:
			tb.Fatalf("pebble exited before listening:\n%s", out.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("pebble not listening on %s within 30s: %v\n%s", addr, err, out.String())
		}
	}
}

// loopbackTLS makes a self-signed certificate for 127.0.0.1 and returns it,
// its key and a pool trusting it.
func loopbackTLS(tb testing.TB) (certPEM, keyPEM []byte, roots *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "pebble benchmark"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), roots
}

// freePort returns a loopback TCP port nothing listened on a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeFile(tb testing.TB, name string, data []byte, mode os.FileMode) {
	tb.Helper()
	if err := os.WriteFile(name, data, mode); err != nil {
		tb.Fatal(err)
	}
}

// lockedBuffer keeps the last output of a process for a failure message.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// maxOutput bounds what is kept: Pebble logs every request. It holds a
// goroutine dump of a Pebble deadlocked under a benchmark's clients whole
// (SIGQUIT prints every goroutine's stack, ~1.5 KiB each).
const maxOutput = 256 << 10

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len()+len(p) > maxOutput {
		keep := b.buf.Bytes()[max(0, b.buf.Len()-maxOutput/2):]
		b.buf = *bytes.NewBuffer(append([]byte(nil), keep...))
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
