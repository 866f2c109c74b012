package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

// The replica test re-executes the test binary: a child runs
// TestReplicaProcess with replicaChildEnv naming its configuration file.
const (
	replicaChildEnv = "CERTFLOW_REPLICA_CHILD"
	// replicaRunsEnv repeats the whole scenario (fresh CA, fresh store) this
	// many times in a row; unset means once.
	replicaRunsEnv = "CERTFLOW_REPLICA_RUNS"

	replicaProcesses   = 3
	replicaCertificate = 30
	replicaTimeout     = 4 * time.Minute
)

// replicaConfig is what the parent hands each child, as a JSON file.
type replicaConfig struct {
	StoreDir     string `json:"storeDir"`
	DirectoryURL string `json:"directoryURL"`
	// CAPEM holds the roots the ACME server's TLS certificate chains to.
	CAPEM        string `json:"caPEM"`
	Certificates int    `json:"certificates"`
}

func replicaCertName(i int) string { return fmt.Sprintf("replica-%02d", i) }

func replicaIssuer(directoryURL string) *issuer.Issuer {
	return &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server:              directoryURL,
			Email:               "ops@example.test",
			PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"},
			Solvers:             []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
		}},
	}
}

// TestReplicas_ThreeProcessesOneFileStore_OneAcceptPerChallengeOneFinalizePerOrder
// runs three Managers in three processes on one file store, each applying
// the same Issuer and 30 Certificates against one acmetest server, and
// counts at the CA: every challenge is accepted exactly once and every
// order finalized exactly once, and every Certificate becomes Ready.
// CERTFLOW_REPLICA_RUNS=20 repeats it 20 times in a row.
func TestReplicas_ThreeProcessesOneFileStore_OneAcceptPerChallengeOneFinalizePerOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes; skipped in -short mode")
	}
	runs := 1
	if v := os.Getenv(replicaRunsEnv); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "%s=%q", replicaRunsEnv, v)
		runs = n
	}
	passed := 0
	for run := 1; run <= runs; run++ {
		if t.Run(fmt.Sprintf("run%02d", run), replicaRun) {
			passed++
		}
	}
	t.Logf("of %d consecutive runs: %d passed, %d failed", runs, passed, runs-passed)
}

func replicaRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), replicaTimeout)
	defer cancel()

	// Pebble validates HTTP-01 at one port; the parent answers there by
	// asking every replica, as a load balancer in front of them would.
	proxy := &replicaFanout{client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	httpL, httpPort := testrig.ListenLoopback(t)
	httpSrv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = httpSrv.Serve(httpL) }()
	t.Cleanup(func() { _ = httpSrv.Close() })
	srv := acmetest.NewServer(t, acmetest.WithHTTP01Port(httpPort))

	dir := t.TempDir()
	cfgPath := filepath.Join(t.TempDir(), "replica.json")
	cfg, err := json.Marshal(replicaConfig{
		StoreDir: dir, DirectoryURL: srv.DirectoryURL(),
		CAPEM: string(srv.TLSCertPEM()), Certificates: replicaCertificate,
	})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgPath, cfg, 0o600))

	children := make([]*replicaChild, replicaProcesses)
	for i := range children {
		children[i] = startReplica(ctx, t, cfgPath, proxy)
	}
	for i, c := range children {
		select {
		case <-c.ready:
		case <-c.exited:
			t.Fatalf("replica %d exited before all certificates were ready: %v\n%s", i, c.err, c.stderr.String())
		case <-ctx.Done():
			t.Fatalf("replica %d: certificates not ready within %v\n%s", i, replicaTimeout, c.stderr.String())
		}
	}
	for i, c := range children {
		_ = c.stdin.Close() // asks the child to stop
		select {
		case <-c.exited:
			require.NoError(t, c.err, "replica %d\n%s", i, c.stderr.String())
		case <-ctx.Done():
			t.Fatalf("replica %d did not stop", i)
		}
	}

	st, err := file.Open(dir)
	require.NoError(t, err)
	defer st.Close()
	certs, err := store.ListOf[certificate.Certificate](ctx, st, store.ListOptions{Kind: meta.KindCertificate, Namespace: "default"})
	require.NoError(t, err)
	require.Len(t, certs, replicaCertificate)
	for _, c := range certs {
		assert.True(t, testrig.CertReady(c), "%s is Ready", c.ObjectMeta.Name)
	}

	accepts := srv.PostsPerPath(acmetest.EndpointChallenge)
	finalizes := srv.PostsPerPath(acmetest.EndpointFinalize)
	t.Logf("orders created %d, challenges accepted %d (POSTs %d), orders finalized %d (POSTs %d)",
		srv.OrderCount(), len(accepts), sum(accepts), len(finalizes), sum(finalizes))
	assert.Len(t, accepts, replicaCertificate, "one challenge accepted per certificate")
	assert.Empty(t, overOne(accepts), "challenges accepted more than once")

	assert.Len(t, finalizes, replicaCertificate, "one order finalized per certificate")
	assert.Empty(t, overOne(finalizes), "orders finalized more than once")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// overOne lists the paths counted more than once, with their counts.
func overOne(m map[string]int) []string {
	var out []string
	for p, n := range m {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s×%d", p, n))
		}
	}
	sort.Strings(out)
	return out
}

// replicaChild is one running replica process.
type replicaChild struct {
	stdin  io.WriteCloser
	stderr *testrig.Buffer
	ready  chan struct{}
	exited chan struct{}
	err    error // set before exited is closed
}

func startReplica(ctx context.Context, t *testing.T, cfgPath string, proxy *replicaFanout) *replicaChild {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestReplicaProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), replicaChildEnv+"="+cfgPath)
	c := &replicaChild{stderr: &testrig.Buffer{}, ready: make(chan struct{}), exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	var err error
	c.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "port "):
				if p, err := strconv.Atoi(strings.TrimPrefix(line, "port ")); err == nil {
					proxy.add(p)
				}
			case line == "ready":
				close(c.ready)
			}
		}
		c.err = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		_ = c.stdin.Close()
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-c.exited
		}
	})
	return c
}

// replicaFanout answers an HTTP-01 request with the first replica that
// knows the token.
type replicaFanout struct {
	client *http.Client
	mu     sync.Mutex
	ports  []int
}

func (f *replicaFanout) add(port int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ports = append(f.ports, port)
}

func (f *replicaFanout) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	ports := append([]int(nil), f.ports...)
	f.mu.Unlock()
	for _, p := range ports {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(p)+r.URL.Path, nil)
		if err != nil {
			continue
		}
		req.Host = r.Host
		res, err := f.client.Do(req)
		if err != nil {
			continue
		}
		body, err := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err == nil && res.StatusCode == http.StatusOK {
			_, _ = w.Write(body)
			return
		}
	}
	http.NotFound(w, r)
}

// TestReplicaProcess is the body of one replica process of
// TestReplicas_ThreeProcessesOneFileStore_…; run directly, without
// replicaChildEnv, it has nothing to do and returns.
func TestReplicaProcess(t *testing.T) {
	path := os.Getenv(replicaChildEnv)
	if path == "" {
		return
	}
	// The child exits here, so the parent sees its outcome in the exit
	// status and stderr, not in this test binary's report.
	if err := replicaMain(path); err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func replicaMain(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cfg replicaConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), replicaTimeout)
	defer cancel()

	st, err := file.Open(cfg.StoreDir, file.WithPollInterval(10*time.Millisecond))
	if err != nil {
		return err
	}
	defer st.Close()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM([]byte(cfg.CAPEM)) {
		return errors.New("no CA certificate in the configuration")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := l.Addr().(*net.TCPAddr).Port
	mcfg := certflow.Config{Store: st, HTTPClient: &http.Client{Transport: tr, Timeout: 30 * time.Second}, Workers: 4}
	// The self-check asks this replica's own listener.
	mcfg.ACME.HTTP01Port = port
	mcfg.ACME.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", p))
	}
	m, err := certflow.New(mcfg)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: m.HTTPHandler(http.NotFoundHandler()), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = httpSrv.Serve(l) }()
	defer httpSrv.Close()

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	defer func() { stop(); <-done }()
	fmt.Printf("port %d\n", port)

	apply := func(obj meta.Object) error {
		var err error
		for range 20 {
			if err = m.Apply(ctx, obj); err == nil || !(errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrConflict)) {
				return err
			}
		}
		return err
	}
	if err := apply(replicaIssuer(cfg.DirectoryURL)); err != nil {
		return fmt.Errorf("apply issuer: %w", err)
	}
	refs := make([]meta.Ref, cfg.Certificates)
	for i := range refs {
		c := testrig.ACMECertificate("default", replicaCertName(i), "acme", replicaCertName(i)+".replica.example.test")
		if err := apply(c); err != nil {
			return fmt.Errorf("apply %s: %w", c.ObjectMeta.Name, err)
		}
		refs[i] = meta.RefOf(c)
	}
	for _, ref := range refs {
		if err := m.WaitReady(ctx, ref); err != nil {
			status, _ := m.Status(context.Background(), ref)
			return fmt.Errorf("%s: %w\n%v", ref, err, status)
		}
	}
	fmt.Println("ready")
	// Keep reconciling (cleanups, other replicas' claims) until the parent
	// closes stdin.
	_, _ = io.Copy(io.Discard, os.Stdin)
	return nil
}
