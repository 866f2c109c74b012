package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/cputime"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// issuanceShape is how many certificates a benchmark round issues and how
// many are in flight at once.
type issuanceShape struct {
	name        string
	certs, conc int
	// http01 validates HTTP-01 for real; else every challenge is valid
	// (Pebble's always-valid mode: the CA contacts nobody, but clients still
	// accept and poll).
	http01 bool
}

var issuanceShapes = []issuanceShape{
	{name: "valid-200x8", certs: 200, conc: 8},
	{name: "valid-50x1", certs: 50, conc: 1},
	{name: "http01-50x4", certs: 50, conc: 4, http01: true},
}

// benchTimeout bounds one round of a contender (shape.certs certificates)
// and its setup, each: far beyond what a round takes, so a CA that hangs
// fails the benchmark instead of CI, and b.N rounds never share one bound
// (shared, it ran out at -benchtime=20x with Pebble healthy).
const benchTimeout = 30 * time.Second

// bareOrderPoll is how often the bare loop polls its order: the floor a
// client can reach without asking the CA far more often.
const bareOrderPoll = 5 * time.Millisecond

// BenchmarkACMEIssuance compares certflow with a bare x/crypto/acme loop
// against the same CA in the same run, for each shape of issuanceShapes,
// against two CAs:
//
//   - acmetest: Pebble in this process, behind acmetest's front (which lets
//     one request at a time into Pebble and answers finalize once the
//     certificate is stored);
//   - pebble: the pinned Pebble built at test time and run as its own
//     process, so the CA does not share a scheduler and a garbage collector
//     with the clients, and finalize is answered before the certificate
//     exists, as real CAs do; requests go in through a gate that keeps
//     Pebble v2.10.3 from deadlocking (BENCH_PEBBLE_GATE,
//     acme_bench_gate_test.go: by lock class, internal/pebblegate, unless
//     set to "turn", one at a time as before);
//   - rtt: the same Pebble process with a round trip (BENCH_RTT, 20 ms if
//     unset) on every request to it and on every validation fetch it
//     makes, as a CA across a network is (acme_bench_rtt_test.go).
//
// Three contenders issue the same number of certificates, in turn:
//
//   - xcrypto, the bare x/crypto/acme loop: one account, then per
//     certificate newOrder, each authorization, accept its http-01
//     challenge, poll the order every 5 ms until ready, and
//     CreateCertFromOrder (finalize, then x/crypto's WaitOrder, which looks
//     at once and then sleeps a second, or the CA's Retry-After, while the
//     order is processing);
//   - floor, the same loop without that sleep: finalize (acmepost), look
//     at once, then every 5 ms until valid, and download: the protocol's
//     floor for a client polling every 5 ms;
//   - certflow: a Manager on a memory store; a certificate enters when
//     another one is Ready, so all have the same number in flight.
//
// All use one HTTP client keeping an idle connection per requester, ECDSA
// P-256 keys, and register their account before the clock starts. Each
// contender's run has a CA of its own, started for it: Pebble keeps every
// order and authorization and scans them all at each new order, so its
// cost a certificate grows with what it has issued (floor's rounds at
// -benchtime=20x cost it 4.83 ms of CPU a certificate after xcrypto's
// 4,200 certificates, xcrypto's 3.98), and a CA shared in turn would
// charge each contender for the ones before it.
// Reported: certs/s, ACME requests per certificate (counted on the
// client's transport, by path in the log, with the connections opened and
// the body bytes each way), CPU per certificate of this process
// ("cpu-ms/cert") and of the Pebble process ("pebble-cpu-ms/cert"), the
// cores both kept busy ("busy-cores"), and for certflow its rate over each
// bare loop's ("vs-xcrypto", "vs-floor") and the vs-floor its CPU alone
// predicts ("cpu-bound-vs-floor", acme_bench_cpu_test.go; where
// certflow's CPU goes, and what that ratio can reach: docs/issuance-cpu.md).
// Run with -benchtime=1x.
//
// pebble-cpu-ms/cert is Pebble's CPU time, not the work a client asks of
// it: on cores shared with the client, the same requests cost Pebble more
// when the client is busier or slower. A floor loop sending exactly its
// requests while burning 4.5 ms more CPU a certificate, or sleeping 45 ms
// after each one, raised it 4–10% (medians of 6 and 8 rounds), as much as
// certflow's 3–10% over the floor; the floor sending certflow's requests
// (an authorization read again instead of the order) lowered it. With
// BENCH_PEBBLE_CONTROL set, a control contender measures this in every run
// (acme_bench_control_test.go).
func BenchmarkACMEIssuance(b *testing.B) {
	for _, ca := range []string{"acmetest", "pebble", rttCA} {
		for _, shape := range issuanceShapes {
			b.Run(ca+"/"+shape.name, func(b *testing.B) {
				var bin string
				if ca != "acmetest" {
					bin = buildPebble(b)
				}
				var xcrypto, floor float64
				var floorCPU, certflowCPU cpuBudget
				b.Run("xcrypto", func(b *testing.B) {
					xcrypto = benchBare(b, newBenchCA(b, ca, shape, bin), shape, "x", finalizeXCrypto)
				})
				b.Run("floor", func(b *testing.B) {
					rig := newBenchCA(b, ca, shape, bin)
					// Apart: the spec leaves when rig.cpu is read beside a call
					// in one assignment, and it must be after benchBare set it.
					floor = benchBare(b, rig, shape, "f", finalizeFloor)
					floorCPU = rig.cpu
				})
				b.Run("certflow", func(b *testing.B) {
					rig := newBenchCA(b, ca, shape, bin)
					rate := benchCertflow(b, rig, shape)
					certflowCPU = rig.cpu
					reportCPUBound(b, floorCPU, rig.cpu)
					if xcrypto > 0 {
						b.ReportMetric(rate/xcrypto, "vs-xcrypto")
					}
					if floor > 0 {
						b.ReportMetric(rate/floor, "vs-floor")
					}
				})
				if benchControl && ca != "acmetest" {
					b.Run("floorcpu", func(b *testing.B) {
						benchControlRun(b, newBenchCA(b, ca, shape, bin), shape, floorCPU, certflowCPU)
					})
				}
			})
		}
	}
}

// benchCA is a CA of one contender's run and what the contender needs to
// reach it: the HTTP-01 listener (the bare loop's tokens first, then the
// running Manager's handler), a dialer reaching that listener for any
// name, and a counting HTTP client.
type benchCA struct {
	directory string
	client    *http.Client
	counter   *requestCounter
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	http01    *http01Mux
	port      int
	// explain, if set, says what the CA was doing when a round failed.
	explain func() string
	// probe, if set (BENCH_PROBE against the pebble process), breaks each
	// round down; pid is the CA's process, if it has its own.
	probe *probe
	pid   int
	// timeout bounds a contender's round.
	timeout time.Duration
	// cpu is what the last round cost.
	cpu cpuBudget
	// burn is CPU a bare loop burns after each certificate (the control
	// contender, acme_bench_control_test.go).
	burn time.Duration
}

func startBenchCA(b testing.TB, ca string, shape issuanceShape) *benchCA {
	return newBenchCA(b, ca, shape, "")
}

// newBenchCA is startBenchCA with a Pebble built by buildPebble (bin), if
// not empty, for the pebble and rtt CAs.
func newBenchCA(b testing.TB, ca string, shape issuanceShape, bin string) *benchCA {
	rtt := benchRTT(b, ca)
	l, port := testrig.ListenLoopback(b)
	mux := &http01Mux{}
	hs := &http.Server{Handler: delayHandler(mux, vaFetchRTTs*rtt), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(l) }()
	b.Cleanup(func() { _ = hs.Close() })
	rig := &benchCA{http01: mux, port: port, counter: &requestCounter{}, timeout: rttTimeout(rtt, shape)}
	var base *http.Client
	switch ca {
	case "acmetest":
		opts := []acmetest.Option{acmetest.WithHTTP01Port(port)}
		if !shape.http01 {
			opts = append(opts, acmetest.WithAlwaysValid())
		}
		srv := acmetest.NewServer(b, opts...)
		tr := srv.Client().Transport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 4 * shape.conc
		base = &http.Client{Transport: tr, Timeout: time.Minute}
		rig.directory = srv.DirectoryURL()
	case "pebble", rttCA:
		cfg := pebbleConfig{alwaysValid: !shape.http01, httpPort: port, bin: bin}
		if shape.http01 {
			cfg.resolver = startLoopbackDNS(b)
		}
		p := startPebble(b, cfg)
		base = p.Client(4 * shape.conc)
		rig.pid = p.pid
		if benchProbe {
			rig.probe = &probe{atEntry: map[int]int{}, rtt: rtt}
		}
		base.Transport = pebbleTransport(base.Transport, benchGate(b), rig.probe, rtt)
		rig.directory = p.DirectoryURL
		rig.explain = p.explain
	default:
		b.Fatalf("unknown CA %q", ca)
	}
	rig.client = &http.Client{Transport: rig.counter.wrap(base.Transport), Timeout: base.Timeout}
	rig.dial = loopbackDial(port)
	if rtt > 0 {
		rig.dial = loopbackDial(selfCheckPort(b, mux))
	}
	return rig
}

// fail ends the benchmark with err and what the CA was doing.
func (rig *benchCA) fail(b *testing.B, err error) {
	b.Helper()
	if rig.explain != nil {
		b.Fatalf("%v\nthe CA's state:\n%s", err, rig.explain())
	}
	b.Fatal(err)
}

// roundStart is when a contender's round started: wall time, this
// process's CPU time and the CA process's.
type roundStart struct {
	wall      time.Time
	cpu, peer time.Duration
}

func (rig *benchCA) startClock() roundStart {
	cpu, _ := cputime.Process()
	return roundStart{wall: time.Now(), cpu: cpu, peer: threadsCPU(rig.pid)}
}

// report records the rate, the requests per certificate and the CPU time
// per certificate (of this process: the client's, and with acmetest the
// CA's too) of n certificates issued since c.
func (rig *benchCA) report(b *testing.B, n int, c roundStart) float64 {
	elapsed := time.Since(c.wall)
	// What follows (counting, gathering metrics, stopping the Manager) is
	// no issuance's: keep it out of B/op and allocs/op.
	b.StopTimer()
	rate := float64(n) / elapsed.Seconds()
	b.ReportMetric(rate, "certs/s")
	reqs := rig.counter.take()
	b.ReportMetric(float64(reqs.total)/float64(n), "req/cert")
	rig.cpu = cpuBudget{}
	if cpu, ok := cputime.Process(); ok {
		rig.cpu.self = ms(cpu-c.cpu) / float64(n)
		b.ReportMetric(rig.cpu.self, "cpu-ms/cert")
	}
	if rig.pid != 0 {
		rig.cpu.pebble = ms(threadsCPU(rig.pid)-c.peer) / float64(n)
		b.ReportMetric(rig.cpu.pebble, "pebble-cpu-ms/cert")
	}
	b.ReportMetric(rig.cpu.total()*float64(n)/ms(elapsed), "busy-cores")
	b.Logf("%d certificates in %v: %.1f/s; requests per certificate: %s", n, elapsed, rate, perCert(reqs.byPath, n))
	b.Logf("%s", perCertWire(reqs.conns, reqs.wire, n))
	return rate
}

// lifetime bounds a contender's run of rounds rounds: its setup and each
// round get rig.timeout.
func (rig *benchCA) lifetime(rounds int) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Duration(rounds+1)*rig.timeout)
}

// round runs one round of shape by inParallel under a deadline of its own,
// rig.timeout, so a round that hangs fails within it whatever b.N is. A
// round that ran out of it says so: a bare "context deadline exceeded"
// once read as the CA failing.
func (rig *benchCA) round(ctx context.Context, shape issuanceShape, issue func(ctx context.Context, i int) error) error {
	own, cancel := context.WithTimeout(ctx, rig.timeout)
	defer cancel()
	err := inParallel(own, shape, issue)
	if err != nil && ctx.Err() == nil && errors.Is(own.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("a round of %d certificates, %d at a time, not done within its bound of %v: %w",
			shape.certs, shape.conc, rig.timeout, err)
	}
	return err
}

// inParallel runs issue for 0..certs-1, conc at a time, and returns the
// first error.
func inParallel(ctx context.Context, shape issuanceShape, issue func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	errs := make(chan error, shape.conc)
	var wg sync.WaitGroup
	for range shape.conc {
		wg.Go(func() {
			for i := range work {
				if err := issue(ctx, i); err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
	var firstErr error
feed:
	for i := range shape.certs {
		select {
		case work <- i:
		case firstErr = <-errs:
			break feed
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

func benchCertflow(b *testing.B, rig *benchCA, shape issuanceShape) float64 {
	if n, _ := strconv.Atoi(os.Getenv("BENCH_CERTFLOW_PROCS")); n > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	}
	ctx, cancel := rig.lifetime(b.N)
	defer cancel()
	work := newWorkCounter(memory.New())
	m, stop := benchManager(ctx, b, rig, shape, work.store)
	defer stop()
	rig.counter.take()
	work.take()
	before := reconciles(b, m)
	rig.probeReset()
	b.ResetTimer()
	start := rig.startClock()
	for i := 0; i < b.N; i++ {
		err := rig.round(ctx, shape, func(ctx context.Context, j int) error {
			defer rig.probeSpan(fmt.Sprintf("c%d-%d", i, j), time.Now())
			c := benchCertificate(fmt.Sprintf("c%d-%d", i, j))
			if err := m.Apply(ctx, c); err != nil {
				return err
			}
			if err := m.WaitReady(ctx, meta.RefOf(c)); err != nil {
				st, _ := m.Status(context.Background(), meta.RefOf(c))
				return fmt.Errorf("%s: %w\n%v", c.ObjectMeta.Name, err, st)
			}
			return nil
		})
		if err != nil {
			rig.fail(b, err)
		}
	}
	// The events the rounds recorded are part of their work: the writer
	// gathers them for a window, so the last ones are stored here, inside
	// the measurement, not after it (Events waits for them).
	if _, err := m.Events(ctx, meta.RefOf(benchCertificate("c0-0"))); err != nil {
		rig.fail(b, err)
	}
	rate := rig.report(b, b.N*shape.certs, start)
	rig.probeReport(b, b.N*shape.certs)
	reportWork(b, b.N*shape.certs, work.take(), before, reconciles(b, m))
	return rate
}

// benchCertificate is a Certificate of the benchmark's issuer for one name.
func benchCertificate(name string) *certificate.Certificate {
	return testrig.ACMECertificate("bench", name, "acme", name+".bench.test")
}

// benchManager runs a Manager (memory store, default workers, as many ACME
// requests in flight per account as the shape has certificates in flight)
// serving HTTP-01 on the rig's listener, with a Ready ACME issuer "acme" in
// namespace "bench".
func benchManager(ctx context.Context, b testing.TB, rig *benchCA, shape issuanceShape, st store.Store) (*certflow.Manager, func()) {
	cfg := certflow.Config{Store: st, HTTPClient: rig.client}
	if rig.probe != nil {
		cfg.Observer = rig.probe.observer()
	}
	return benchManagerWith(ctx, b, rig, shape, cfg)
}

// benchManagerWith is benchManager with the rest of cfg as given.
func benchManagerWith(ctx context.Context, b testing.TB, rig *benchCA, shape issuanceShape, cfg certflow.Config) (*certflow.Manager, func()) {
	cfg.ACME.HTTP01Port, cfg.ACME.Dial = rig.port, rig.dial
	cfg.ACME.MaxInFlightPerAccount = shape.conc
	m, err := certflow.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	rig.http01.serve(m.HTTPHandler(http.NotFoundHandler()))
	stop := func() { rig.http01.serve(nil); cancel(); <-done }
	iss := &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: "bench", Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{
			Server: rig.directory, PrivateKeySecretRef: meta.LocalRef{Name: "acme-account"},
			Solvers: []solver.Config{{HTTP01: &solver.HTTP01Config{}}},
		}},
	}
	if err := m.Apply(ctx, iss); err != nil {
		stop()
		b.Fatal(err)
	}
	testrig.WaitFor[issuer.Issuer](b, ctx, cfg.Store, meta.RefOf(iss), "issuer Ready",
		func(i *issuer.Issuer) bool { return i.Status.Conditions.IsTrue(meta.ConditionReady) }, rig.explain)
	return m, stop
}

// http01Mux answers HTTP-01 requests: the bare loop's tokens, else the
// handler of the Manager under test.
type http01Mux struct {
	mu      sync.RWMutex
	tokens  map[string]string
	manager http.Handler
}

const http01Prefix = "/.well-known/acme-challenge/"

func (m *http01Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.RLock()
	ka, ok := m.tokens[strings.TrimPrefix(r.URL.Path, http01Prefix)]
	next := m.manager
	m.mu.RUnlock()
	switch {
	case ok && strings.HasPrefix(r.URL.Path, http01Prefix):
		_, _ = w.Write([]byte(ka))
	case next != nil:
		next.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (m *http01Mux) put(token, keyAuth string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tokens == nil {
		m.tokens = map[string]string{}
	}
	m.tokens[token] = keyAuth
}

func (m *http01Mux) remove(token string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.tokens, token)
}

func (m *http01Mux) serve(h http.Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.manager = h
}
