package e2e

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/certflow/certflow/internal/pebblegate"
)

// requestCounter counts the ACME requests a client sends, by the first
// segment of their path (Pebble's resource paths: /order-plz, /my-order/…,
// /authZ/…, /chalZ/…, /finalize-order/…, /certZ/…, /nonce-plz, /dir, …),
// their body bytes each way and the connections opened for them.
type requestCounter struct {
	mu     sync.Mutex
	byPath map[string]*wireCell
	conns  atomic.Int64
}

// wireCell is one kind's count; received grows as answers are read.
type wireCell struct {
	requests int
	sent     int64
	received atomic.Int64
}

// requestTally is what a requestCounter counted between two takes.
type requestTally struct {
	total  int
	byPath map[string]int
	wire   map[string]wireCount
	conns  int64
}

// wrap returns base (http.DefaultTransport if nil) counting into c.
func (c *requestCounter) wrap(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return countingTransport{c: c, base: base}
}

// requestKey names req by its method (HEAD only) and the first segment
// of its path, which is what Pebble's endpoints differ by.
func requestKey(req *http.Request) string {
	key := req.URL.Path
	if i := strings.IndexByte(key[min(1, len(key)):], '/'); i >= 0 {
		key = key[:i+1]
	}
	if req.Method == http.MethodHead {
		key = "HEAD " + key
	}
	return key
}

type countingTransport struct {
	c    *requestCounter
	base http.RoundTripper
}

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := requestKey(req)
	t.c.mu.Lock()
	if t.c.byPath == nil {
		t.c.byPath = map[string]*wireCell{}
	}
	cell := t.c.byPath[key]
	if cell == nil {
		cell = &wireCell{}
		t.c.byPath[key] = cell
	}
	cell.requests++
	cell.sent += max(req.ContentLength, 0)
	t.c.mu.Unlock()
	res, err := t.base.RoundTrip(traceConns(req, &t.c.conns))
	if res != nil && res.Body != nil {
		res.Body = countedBody{ReadCloser: res.Body, received: &cell.received}
	}
	return res, err
}

// take returns what was counted since the last take.
func (c *requestCounter) take() requestTally {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := requestTally{byPath: map[string]int{}, wire: map[string]wireCount{}, conns: c.conns.Swap(0)}
	for k, cell := range c.byPath {
		t.total += cell.requests
		t.byPath[k] = cell.requests
		t.wire[k] = wireCount{requests: cell.requests, sent: cell.sent, received: cell.received.Load()}
	}
	c.byPath = nil
	return t
}

// perCert renders requests by path divided by n certificates.
func perCert(byPath map[string]int, n int) string {
	keys := make([]string, 0, len(byPath))
	for k := range byPath {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(byPath[k])/float64(n)))
	}
	return strings.Join(parts, ", ")
}

// oneAtATime lets one request at a time through base, the gate chosen by
// BENCH_PEBBLE_GATE=turn (the only one before byClass): the next one leaves
// when the answer to the previous one has arrived (Pebble computes an
// answer before it writes it). Pebble v2.10.3 deadlocks when an
// authorization is read, a new order is made and a certificate is stored at
// the same moment (two handlers and a finalize goroutine wait for each
// other's locks; see pebblegate.Paths), and a standalone Pebble serving
// eight clients does within a few runs; with one handler at a time the
// cycle cannot close. acmetest does the same inside its process (where the
// classes would also let Pebble's data races loose on -race tests). It also
// makes every contender pay for handing the turn on, which no real CA
// charges (note21: the turn sat free with requests queued 6% of the wall
// for the floor, 21% for certflow). (Holding the turn until the answer's
// body is closed would deadlock x/crypto/acme, which fetches a nonce under
// the lock it needs to store the nonce of an answer it has not closed yet.)
func oneAtATime(base http.RoundTripper, p *probe) http.RoundTripper {
	return serialTransport{base: base, turn: make(chan struct{}, 1), probe: p}
}

type serialTransport struct {
	base http.RoundTripper
	turn chan struct{}
	// probe, if set, times each request's wait for the turn and its hold.
	probe *probe
}

func (t serialTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	took, answered := func() {}, func() {}
	if t.probe != nil {
		req, took, answered = t.probe.entered(req, pebblegate.ClassOf(req.URL.Path))
	}
	defer answered() // after the turn is given back
	select {
	case t.turn <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	took()
	defer func() { <-t.turn }()
	return t.base.RoundTrip(req)
}

// startLoopbackDNS runs a DNS server on 127.0.0.1 (TCP, which Pebble's VA
// uses) answering every A query with 127.0.0.1 and nothing else, until the
// benchmark ends, and returns its address.
func startLoopbackDNS(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{Listener: l, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			for _, q := range req.Question {
				if q.Qtype == dns.TypeA {
					m.Answer = append(m.Answer, &dns.A{
						Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
						A:   net.IPv4(127, 0, 0, 1),
					})
				}
			}
			_ = w.WriteMsg(m)
		})}
	served := make(chan error, 1)
	go func() { served <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-served:
		tb.Fatalf("loopback DNS: %v", err)
	}
	tb.Cleanup(func() {
		_ = srv.Shutdown()
		<-served
	})
	return l.Addr().String()
}
