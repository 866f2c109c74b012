package promtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running Prometheus scraping one target.
type Server struct {
	// URL is the base URL of its HTTP API (http://127.0.0.1:port).
	URL string

	client *http.Client
	logs   *syncBuffer
}

// readyLine is what Prometheus logs once its web API answers queries.
const readyLine = "Server is ready to receive web requests."

// Start runs Prometheus scraping target (host:port, path /metrics) every
// second, with its storage in a temporary directory, until the test ends.
// It returns once Prometheus says it is ready; it fails the test with
// Prometheus's log if it exits first.
func Start(t testing.TB, bin Binaries, target string) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: certflow
    static_configs:
      - targets: [%q]
`, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// The port is free when picked but may be taken before Prometheus
	// binds it; then try another.
	var lastLog string
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s, log, err := start(t, bin, cfgPath, filepath.Join(dir, fmt.Sprintf("data-%d", port)), port)
		if err == nil {
			return s
		}
		lastLog = log
		if !strings.Contains(log, "address already in use") {
			break
		}
	}
	t.Fatalf("promtest: prometheus did not start:\n%s", lastLog)
	return nil
}

func start(t testing.TB, bin Binaries, cfgPath, dataDir string, port int) (*Server, string, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(bin.Prometheus,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+dataDir,
		"--web.listen-address="+addr,
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	logs := &syncBuffer{}
	ready := make(chan struct{})
	exited := make(chan error, 1)
	go func() {
		// Reads the log to its end (when Prometheus exits), then reaps it.
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			logs.WriteLine(sc.Text())
			if !signalled && strings.Contains(sc.Text(), readyLine) {
				close(ready)
				signalled = true
			}
		}
		exited <- cmd.Wait()
	}()
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	stop := func() {
		client.CloseIdleConnections()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	select {
	case <-ready:
	case err := <-exited:
		return nil, logs.String(), fmt.Errorf("prometheus exited: %v", err)
	case <-time.After(30 * time.Second):
		stop()
		return nil, logs.String(), errors.New("prometheus not ready after 30s")
	}
	t.Cleanup(stop)
	return &Server{URL: "http://" + addr, client: client, logs: logs}, "", nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Log returns what Prometheus logged so far, for failure messages.
func (s *Server) Log() string { return s.logs.String() }

// Sample is one element of an instant vector.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Query evaluates promql now through the HTTP API (/api/v1/query) and
// returns the instant vector it yields.
func (s *Server) Query(ctx context.Context, promql string) ([]Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/query?query="+url.QueryEscape(promql), nil)
	if err != nil {
		return nil, err
	}
	res, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("promtest: query %s: %w", promql, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("promtest: query %s: %s", promql, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("promtest: query %s: result type %s, want vector", promql, body.Data.ResultType)
	}
	out := make([]Sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		str, ok := r.Value[1].(string)
		if !ok {
			return nil, fmt.Errorf("promtest: query %s: value %v is not a string", promql, r.Value[1])
		}
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("promtest: query %s: %w", promql, err)
		}
		out = append(out, Sample{Labels: r.Metric, Value: v})
	}
	return out, nil
}

// Await evaluates promql every 250ms until cond holds for its result and
// returns that result, or fails the test when ctx ends. Prometheus offers
// nothing to wait on for a scrape, so this polls, bounded by ctx.
func (s *Server) Await(t testing.TB, ctx context.Context, promql string, cond func([]Sample) bool) []Sample {
	t.Helper()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var last []Sample
	var lastErr error
	for {
		last, lastErr = s.Query(ctx, promql)
		if lastErr == nil && cond(last) {
			return last
		}
		select {
		case <-ctx.Done():
			t.Fatalf("promtest: %s never held: last result %v, error %v\nprometheus log:\n%s", promql, last, lastErr, s.Log())
			return nil
		case <-tick.C:
		}
	}
}

// CheckMetrics runs `promtool check metrics` on exposition and returns its
// output, with an error when it exits non-zero (a lint problem).
func CheckMetrics(bin Binaries, exposition []byte) (string, error) {
	cmd := exec.Command(bin.Promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// syncBuffer is a log kept for failure messages, written by one goroutine
// and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) WriteLine(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(line)
	s.b.WriteByte('\n')
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
