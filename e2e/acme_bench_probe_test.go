package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certflow/certflow/internal/pebblegate"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// benchProbe, set by BENCH_PROBE=1, breaks a pebble round of
// BenchmarkACMEIssuance down: how busy the gate into Pebble (benchGateEnv)
// kept it and how long requests queued at the gate, where each
// certificate's time went (queued at the gate, in a request, in certflow's executions of its
// decisions, waiting for a poll, the rest), the scheduler's latency, the
// share of CPU the garbage collector took, and Pebble's CPU per
// certificate. It costs a stack read per request and per decision, so
// rates measured with it are not compared with rates measured without.
// BENCH_CERTFLOW_PROCS=n runs the certflow contender with GOMAXPROCS n (the
// bare loops and Pebble keep theirs), to see what certflow's parallel CPU
// costs the CA.
var benchProbe = os.Getenv("BENCH_PROBE") != ""

// probe records what benchProbe reports, for one round at a time.
type probe struct {
	mu    sync.Mutex
	start time.Time
	// reqs are the requests through the gate; execs the executed
	// decisions (certflow only); certs each certificate's issuance.
	reqs  []probeReq
	execs []probeExec
	certs []probeSpan
	// inTurn is how many requests are queued at the gate or in Pebble.
	inTurn int
	// atEntry counts requests by how many were queued at the gate or in
	// Pebble when they arrived.
	atEntry map[int]int
	rt      runtimeSample
	pebble  time.Duration
	pid     int
	// runq is how long the threads of Pebble and of this process waited
	// for a CPU in the kernel's run queues (schedstat).
	pebbleRunq, selfRunq time.Duration
	// rtt is each request's round trip outside the gate (the rtt CA).
	rtt time.Duration
}

type probeReq struct {
	g     uint64 // goroutine
	class pebblegate.Class
	// enter is when it came to the gate, turn when the gate let it into
	// Pebble, answer when it gave its place back.
	enter, turn, answer time.Time
	// wrote is when the request was written, first when the first byte
	// of the answer was read (httptrace).
	wrote, first time.Time
	// key names the request (requestKey), for BENCH_PROBE_DUMP.
	key string
}

type probeExec struct {
	g          uint64
	kind       meta.Kind
	cert, what string
	begin, end time.Time
	next       time.Time
}

type probeSpan struct {
	cert       string
	begin, end time.Time
}

// goid returns the calling goroutine's id, read from its stack header.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}

func (p *probe) reset(pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start, p.reqs, p.execs, p.certs = time.Now(), nil, nil, nil
	p.atEntry = map[int]int{}
	p.pid = pid
	p.pebble = procCPU(pid)
	p.pebbleRunq, p.selfRunq = runqWait(pid), runqWait(os.Getpid())
	p.rt = sampleRuntime()
}

// entered records a request of class c arriving at the gate; the returned
// funcs record when it went in and when its answer came, and req is
// traced.
func (p *probe) entered(req *http.Request, c pebblegate.Class) (traced *http.Request, took func(), answered func()) {
	r := &probeReq{g: goid(), class: c, enter: time.Now(), key: requestKey(req)}
	p.mu.Lock()
	p.atEntry[p.inTurn]++
	p.inTurn++
	p.mu.Unlock()
	traced = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest:         func(httptrace.WroteRequestInfo) { r.wrote = time.Now() },
		GotFirstResponseByte: func() { r.first = time.Now() },
	}))
	return traced, func() { r.turn = time.Now() }, func() {
		r.answer = time.Now()
		p.mu.Lock()
		p.inTurn--
		p.reqs = append(p.reqs, *r)
		p.mu.Unlock()
	}
}

// certOf names the certificate an object of the benchmark belongs to: the
// prefix up to its second dash-separated number ("c0-12" of
// "c0-12-1-abcd…").
func certOf(name string) string {
	parts := strings.SplitN(name, "-", 3)
	if len(parts) < 2 {
		return name
	}
	return parts[0] + "-" + parts[1]
}

func (p *probe) observer() reconcile.Observer {
	return func(kind meta.Kind, _ any, pl *reconcile.Plan) func(time.Time, error) {
		e := probeExec{g: goid(), kind: kind, cert: certOf(pl.Object.GetMeta().Name), begin: time.Now()}
		if pl.Effect != nil {
			e.what = pl.Effect.Name
		}
		return func(next time.Time, _ error) {
			e.end, e.next = time.Now(), next
			p.mu.Lock()
			p.execs = append(p.execs, e)
			p.mu.Unlock()
		}
	}
}

func (p *probe) span(cert string, begin time.Time) {
	s := probeSpan{cert: cert, begin: begin, end: time.Now()}
	p.mu.Lock()
	p.certs = append(p.certs, s)
	p.mu.Unlock()
}

// runtimeSample is what runtime/metrics says at one moment.
type runtimeSample struct {
	sched                     *metrics.Float64Histogram
	gc, assist, user, idle    float64
	total, mutexWait, gcCount float64
}

var runtimeNames = []string{
	"/sched/latencies:seconds",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/gc/mark/assist:cpu-seconds",
	"/cpu/classes/user:cpu-seconds",
	"/cpu/classes/idle:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
	"/sync/mutex/wait/total:seconds",
	"/gc/cycles/total:gc-cycles",
}

func sampleRuntime() runtimeSample {
	s := make([]metrics.Sample, len(runtimeNames))
	for i, n := range runtimeNames {
		s[i].Name = n
	}
	metrics.Read(s)
	f := func(i int) float64 {
		switch s[i].Value.Kind() {
		case metrics.KindFloat64:
			return s[i].Value.Float64()
		case metrics.KindUint64:
			return float64(s[i].Value.Uint64())
		}
		return 0
	}
	h := s[0].Value.Float64Histogram()
	return runtimeSample{sched: &metrics.Float64Histogram{Counts: slices.Clone(h.Counts), Buckets: h.Buckets},
		gc: f(1), assist: f(2), user: f(3), idle: f(4), total: f(5), mutexWait: f(6), gcCount: f(7)}
}

// procCPU is the CPU time process pid has used (0 if unknown).
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// runqWait sums how long the threads of process pid have waited on a run
// queue (the second field of each thread's schedstat).
func runqWait(pid int) time.Duration { return schedstatSum(pid, 1) }

// report logs the round's breakdown over n certificates.
func (p *probe) report(b *testing.B, n int) {
	end := time.Now()
	rt := sampleRuntime()
	p.mu.Lock()
	defer p.mu.Unlock()
	wall := end.Sub(p.start)
	var held, queued, write, server, read time.Duration
	for _, r := range p.reqs {
		held += r.answer.Sub(r.turn)
		queued += r.turn.Sub(r.enter)
		if !r.wrote.IsZero() && !r.first.IsZero() {
			write += r.wrote.Sub(r.turn)
			server += r.first.Sub(r.wrote)
			read += r.answer.Sub(r.first)
		}
	}
	perCert := func(d time.Duration) float64 { return ms(d) / float64(n) }
	var sb strings.Builder
	busy, idleQueued := gateOccupancy(p.reqs)
	nr := float64(len(p.reqs))
	// With the turn, busy is the turn held and held/busy is 1.
	fmt.Fprintf(&sb, "probe: wall %.0f ms, %d requests; Pebble had one %.1f%% of wall (%.2f in it on average then), %.3f ms/request in it, queued %.3f ms/request; nobody in it with some queued %.1f%% of wall\n",
		ms(wall), len(p.reqs), 100*float64(busy)/float64(wall), float64(held)/float64(max(busy, 1)),
		ms(held)/nr, ms(queued)/nr, 100*float64(idleQueued)/float64(wall))
	fmt.Fprintf(&sb, "probe: in it (ms/request): written %.3f + until the answer's first byte is read %.3f + until the requester has the answer %.3f\n",
		ms(write)/nr, ms(server)/nr, ms(read)/nr)
	p.classSplit(&sb)
	keys := make([]int, 0, len(p.atEntry))
	for k := range p.atEntry {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprintf(&sb, "probe: requests by how many were queued or in Pebble when they came:")
	for _, k := range keys {
		fmt.Fprintf(&sb, " %d:%.0f%%", k, 100*float64(p.atEntry[k])/float64(len(p.reqs)))
	}
	sb.WriteString("\n")

	// Per certificate: its span, split by what its goroutines were in.
	var life time.Duration
	for _, s := range p.certs {
		life += s.end.Sub(s.begin)
	}
	fmt.Fprintf(&sb, "probe: per certificate (ms): latency %.2f = queued at the gate %.2f + in a request %.2f",
		perCert(life), perCert(queued), perCert(held))
	// The round trips outside the gate are spent in flight.
	flight := time.Duration(len(p.reqs)) * p.rtt
	if flight > 0 {
		fmt.Fprintf(&sb, " + in flight (%v round trips) %.2f", p.rtt, perCert(flight))
	}
	if len(p.execs) > 0 {
		p.execSplit(&sb, n, life, queued, held+flight)
		p.phaseSplit(&sb)
		p.dump()
	} else {
		fmt.Fprintf(&sb, " + the rest (polls of %v, CPU, hand-offs) %.2f\n", bareOrderPoll, perCert(life-queued-held-flight))
	}

	// Scheduler latency and GC.
	d := histDelta(p.rt.sched, rt.sched)
	fmt.Fprintf(&sb, "probe: scheduler latency: %d waits, mean %.0f µs, p50 %.0f µs, p90 %.0f µs, p99 %.0f µs; sum %.2f ms/cert\n",
		d.n, d.mean*1e6, d.q(0.5)*1e6, d.q(0.9)*1e6, d.q(0.99)*1e6, d.sum*1e3/float64(n))
	gc, assist, user := rt.gc-p.rt.gc, rt.assist-p.rt.assist, rt.user-p.rt.user
	fmt.Fprintf(&sb, "probe: GC %.1f%% of this process's CPU (assists %.1f%%), %.0f cycles; GOMAXPROCS idle %.0f%%; mutex wait %.2f ms/cert\n",
		100*gc/(gc+user), 100*assist/(gc+user), rt.gcCount-p.rt.gcCount,
		100*(rt.idle-p.rt.idle)/(rt.total-p.rt.total), (rt.mutexWait-p.rt.mutexWait)*1e3/float64(n))
	if pc := procCPU(p.pid); pc > 0 {
		fmt.Fprintf(&sb, "probe: Pebble CPU %.2f ms/cert (%.0f%% of a core)\n", perCert(pc-p.pebble), 100*float64(pc-p.pebble)/float64(wall))
	}
	fmt.Fprintf(&sb, "probe: threads waiting for a CPU in the kernel: Pebble's %.2f ms/cert, this process's %.2f ms/cert\n",
		perCert(runqWait(p.pid)-p.pebbleRunq), perCert(runqWait(os.Getpid())-p.selfRunq))
	b.Log(sb.String())
}

// execSplit finishes the per-certificate line for certflow: of the time
// neither queued at the harness's gate nor in a request, what its
// executions took (by kind), what it spent waiting for the next visit it
// asked for (a poll), and the rest (loads, queueing for a worker or the
// account's gate, hand-offs, CPU waits).
func (p *probe) execSplit(sb *strings.Builder, n int, life, queued, held time.Duration) {
	perCert := func(d time.Duration) float64 { return ms(d) / float64(n) }
	// Requests inside executions, by the goroutine running each.
	byG := map[uint64][]probeReq{}
	for _, r := range p.reqs {
		byG[r.g] = append(byG[r.g], r)
	}
	inReq := func(e probeExec) time.Duration {
		var d time.Duration
		for _, r := range byG[e.g] {
			if !r.enter.Before(e.begin) && !r.answer.After(e.end) {
				d += r.answer.Sub(r.enter) + p.rtt
			}
		}
		return d
	}
	byKind := map[string]time.Duration{}
	var execOut time.Duration
	perCertExecs := map[string][]probeExec{}
	for _, e := range p.execs {
		out := e.end.Sub(e.begin) - inReq(e)
		byKind[string(e.kind)] += out
		execOut += out
		perCertExecs[e.cert] = append(perCertExecs[e.cert], e)
	}
	// Poll waits: after an execution asking for a later visit, until then
	// or the certificate's next execution, whichever is first; none while
	// another execution of the certificate is still going on (in a request
	// over the rtt CA's path, say), which is counted already.
	var polls time.Duration
	for _, ex := range perCertExecs {
		slices.SortFunc(ex, func(a, b probeExec) int { return a.begin.Compare(b.begin) })
		var busyUntil time.Time // the latest end of the executions so far
		for i, e := range ex {
			going := busyUntil.After(e.end)
			if e.end.After(busyUntil) {
				busyUntil = e.end
			}
			if going || e.next.IsZero() || !e.next.After(e.end) || i+1 == len(ex) {
				continue
			}
			until := e.next
			if ex[i+1].begin.Before(until) {
				until = ex[i+1].begin
			}
			polls += max(0, until.Sub(e.end))
		}
	}
	rest := life - queued - held - execOut - polls
	fmt.Fprintf(sb, " + executions outside requests %.2f (", perCert(execOut))
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for i, k := range kinds {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(sb, "%s %.2f", k, perCert(byKind[k]))
	}
	fmt.Fprintf(sb, ") + waiting for a poll it asked for %.2f + the rest (loads, queues for a worker or the gate, hand-offs) %.2f\n",
		perCert(polls), perCert(rest))
}

type histStats struct {
	n         uint64
	sum, mean float64
	counts    []uint64
	buckets   []float64
}

func histDelta(a, b *metrics.Float64Histogram) histStats {
	s := histStats{counts: make([]uint64, len(b.Counts)), buckets: b.Buckets}
	for i := range b.Counts {
		c := b.Counts[i] - a.Counts[i]
		s.counts[i] = c
		s.n += c
		lo, hi := b.Buckets[i], b.Buckets[i+1]
		if lo < 0 || lo != lo || hi > 1e300 {
			lo = max(lo, 0)
			hi = lo
		}
		s.sum += float64(c) * (lo + hi) / 2
	}
	if s.n > 0 {
		s.mean = s.sum / float64(s.n)
	}
	return s
}

// q returns the q-quantile's bucket's upper bound.
func (s histStats) q(q float64) float64 {
	target := uint64(q * float64(s.n))
	var c uint64
	for i, n := range s.counts {
		c += n
		if c > target {
			return s.buckets[i+1]
		}
	}
	return 0
}

func (rig *benchCA) probeReset() {
	if rig.probe != nil {
		rig.probe.reset(rig.pid)
	}
}

func (rig *benchCA) probeSpan(cert string, begin time.Time) {
	if rig.probe != nil {
		rig.probe.span(cert, begin)
	}
}

func (rig *benchCA) probeReport(b *testing.B, n int) {
	if rig.probe != nil {
		rig.probe.report(b, n)
	}
}
