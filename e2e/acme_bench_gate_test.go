package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
)

// benchGateEnv chooses how requests are let into the Pebble process
// (pebble and rtt CAs): gateClasses unless set.
//
//   - "classes" (gateClasses): a request that holds an authorization's lock
//     while it waits for another never runs beside one that holds the
//     store's or an order's lock while it waits for an authorization's;
//     all else goes in parallel, as at a real CA (pebbleClassOf);
//   - "turn" (gateTurn): one request at a time (oneAtATime), the harness
//     before the classes: it also charges every contender for handing a
//     lock that a real CA does not have from one request to the next;
//   - "none": no exclusion. Pebble v2.10.3 deadlocks under it within a
//     few rounds of BenchmarkPebbleGate; it is there to show that the
//     stress benchmark catches a deadlock, not to measure.
const benchGateEnv = "BENCH_PEBBLE_GATE"

const (
	gateClasses = "classes"
	gateTurn    = "turn"
	gateNone    = "none"
)

// benchGate returns the gate benchGateEnv chooses.
func benchGate(tb testing.TB) string {
	switch g := os.Getenv(benchGateEnv); g {
	case "":
		return gateClasses
	case gateClasses, gateTurn, gateNone:
		return g
	default:
		tb.Fatalf("%s=%q: want %q, %q or %q", benchGateEnv, g, gateClasses, gateTurn, gateNone)
		return ""
	}
}

// gated lets requests through base into Pebble as gate says.
func gated(gate string, base http.RoundTripper, p *probe) http.RoundTripper {
	switch gate {
	case gateTurn:
		return oneAtATime(base, p)
	case gateNone:
		return classTransport{base: base, gate: &classGate{}, probe: p, ungated: true}
	default:
		return byClass(base, p)
	}
}

// pebbleClass is what a Pebble v2.10.3 handler may hold while it waits for
// a lock (pebblePaths).
type pebbleClass uint8

const (
	// classFree handlers never wait for a lock while they hold one: nonce,
	// directory, account, certificate, revocation, key change, renewal
	// info.
	classFree pebbleClass = iota
	// classAuthz handlers hold an authorization's lock while they wait for
	// its order's or the store's: Authz (POST-as-GET and deactivation) and
	// a challenge's accept.
	classAuthz
	// classOrders handlers hold the store's or an order's lock while they
	// wait for an authorization's: NewOrder, Order, FinalizeOrder,
	// ListOrders.
	classOrders
)

func (c pebbleClass) String() string {
	switch c {
	case classAuthz:
		return "authz"
	case classOrders:
		return "orders"
	default:
		return "free"
	}
}

// other is the class c must not run beside.
func (c pebbleClass) other() pebbleClass { return classAuthz + classOrders - c }

// pebblePaths are the paths Pebble v2.10.3's wfe.Handler() serves
// (wfe.go:524–548, as http.ServeMux patterns: a trailing slash matches the
// subtree), each with its class. Every lock below is read from v2.10.3's
// source (S is the MemoryStore's RWMutex, O an Order's, A an
// Authorization's, C a Challenge's). A handler that holds one lock while
// it waits for another ("X → Y"):
//
//	Authz            A.W → O.R (wfe.go:2366–2368), A.W → S.R (getAcctByKey
//	                 :2375 or validPOSTAsGET :2409, memorystore.go:96),
//	                 A.W → C.R (:2426, prepAuthorizationForDisplay :2325)
//	challenge accept A.R → O.R (updateChallenge wfe.go:2633–2634)
//	NewOrder         S.R → A.R of every authorization (makeAuthorizations
//	                 wfe.go:1563, FindValidAuthorization memorystore.go:315–321)
//	Order, Finalize  S.R → O.R → A.R and S.R → O.W (GetOrderByID
//	                 memorystore.go:238–247 via types.go:38–50; wfe.go:2064, :2121)
//	ListOrders       S.R → O.W (kept) → O'.R → A.R (memorystore.go:269–279)
//
// NewOrder's other nested locks are on its own order, authorizations and
// challenges, which nobody else can name yet. Pebble's own goroutines:
// the VA A.W → C.W (va.go:206–216, :246–253); the finalize goroutine one
// lock at a time (ca.go:437–482, AddCertificate memorystore.go:358). The
// other handlers (challenge POST-as-GET, nonce, account, certificate,
// revocation, key change, renewal info) take one lock at a time.
//
// So the only edges out of A are classAuthz's and the only edges into A
// classOrders'; S and O have only S → O and O → O' between them, and no
// handler waits for a lock while it holds a C: every cycle of
// "holds, waits for" passes through A, so a deadlock needs a handler of
// each class in Pebble at once. A pending writer (Go's RWMutex makes new
// readers wait behind it) relays a wait but closes no cycle alone: it
// holds nothing (finalize's S.W and O.W, a new account's S.W, Order's
// O.W) or holds A only to wait for C, which no waiter holds (the VA).
// Cycles: Authz (A.W, wants S.R) + a certificate being stored (S.W
// pending) + NewOrder or an Order poll (S.R, wants A.R) — pebble.md's;
// Authz (A.W, wants O.R) + two Order polls of its order (one holding O.R
// and wanting A.R, one waiting for O.W); an accept (A.R, wants O.R) + an
// Order poll (O.R, wants A.R) + a pending O.W and a pending A.W.
//
// Not covered, as the turn did not cover them: an accept of a challenge
// of an authorization no longer pending waits for ever for a read lock
// prepAuthorizationForDisplay leaked (wfe.go:2325–2330, pebble.md's
// second hang); an order with "replaces" whose validation fails holds O.W
// while it waits for S.R (va.go:224–231), which closes S → O → S with a
// pending S.W and no second request. No contender sends either.
var pebblePaths = []struct {
	pattern string
	class   pebbleClass
}{
	{"/dir", classFree},
	{"/nonce-plz", classFree},
	{"/sign-me-up", classFree},
	{"/my-account/", classFree},
	{"/order-plz", classOrders},
	{"/my-order/", classOrders},
	{"/finalize-order/", classOrders},
	{"/authZ/", classAuthz},
	{"/chalZ/", classAuthz},
	{"/certZ/", classFree},
	{"/revoke-cert", classFree},
	{"/rollover-account-key", classFree},
	{"/list-orderz/", classOrders},
	{"/draft-ietf-acme-ari-03/renewalInfo/", classFree},
}

// pebbleClassOf returns the class of a request to path, matched as
// http.ServeMux matches Pebble's patterns. A path Pebble does not serve is
// free: Pebble answers it 404 without a lock.
func pebbleClassOf(path string) pebbleClass {
	for _, p := range pebblePaths {
		if path == p.pattern || strings.HasSuffix(p.pattern, "/") && strings.HasPrefix(path, p.pattern) {
			return p.class
		}
	}
	return classFree
}

// byClass lets requests through base so that classAuthz and classOrders
// are never in Pebble at once; requests of one class go together, and
// classFree ones go at once.
func byClass(base http.RoundTripper, p *probe) http.RoundTripper {
	return classTransport{base: base, gate: &classGate{}, probe: p}
}

type classTransport struct {
	base  http.RoundTripper
	gate  *classGate
	probe *probe
	// ungated lets every request through at once (gateNone).
	ungated bool
}

func (t classTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := pebbleClassOf(req.URL.Path)
	took, answered := func() {}, func() {}
	if t.probe != nil {
		req, took, answered = t.probe.entered(req, c)
	}
	defer answered() // after the class is given back
	if c != classFree && !t.ungated {
		if err := t.gate.enter(req, c); err != nil {
			return nil, err
		}
		// Given back when the answer's head has come: Pebble writes an
		// answer of under 2 KB (all of these) once its handler has
		// returned, so its locks are free by then (checkAnswered).
		defer t.gate.leave()
	}
	took()
	res, err := t.base.RoundTrip(req)
	if err == nil && c != classFree {
		err = checkAnswered(res)
	}
	return res, err
}

// checkAnswered fails an answer whose head may have left Pebble before its
// handler returned: net/http's server sends a Content-Length only when
// the handler ended within its 2 KB buffer; a longer answer is chunked
// and its head written while the handler may still hold its locks, and
// the gate would let the other class in too soon.
func checkAnswered(res *http.Response) error {
	if res.ContentLength < 0 {
		_ = res.Body.Close()
		return fmt.Errorf("pebble gate: %s answered without a Content-Length: its head may have come before the handler returned", res.Request.URL.Path)
	}
	return nil
}

// classGate admits requests of one class at a time into Pebble: any
// number of one class together; a request of the other class waits until
// they have all answered. Once one waits, newcomers of the class inside
// wait behind it, so neither class starves the other; when the last one
// inside answers, every waiter of the other class goes in together.
type classGate struct {
	mu sync.Mutex
	// in is the class inside while n > 0.
	in pebbleClass
	n  int
	// waiting counts the waiters by class; admit closes open[c] to let
	// those of class c in (counted in n by then).
	waiting [3]int
	open    [3]chan struct{}
	// queued, if set, is told of each request that waits (tests).
	queued func(pebbleClass)
}

func (g *classGate) enter(req *http.Request, c pebbleClass) error {
	g.mu.Lock()
	if g.n == 0 || g.in == c && g.waiting[c.other()] == 0 {
		g.in = c
		g.n++
		g.mu.Unlock()
		return nil
	}
	if g.open[c] == nil {
		g.open[c] = make(chan struct{})
	}
	ch := g.open[c]
	g.waiting[c]++
	g.mu.Unlock()
	if g.queued != nil {
		g.queued(c)
	}
	select {
	case <-ch:
		return nil
	case <-req.Context().Done():
	}
	g.mu.Lock()
	select {
	case <-ch: // admitted while giving up: counted in n, so leave
		g.mu.Unlock()
		g.leave()
		return req.Context().Err()
	default:
	}
	g.waiting[c]--
	// Those of the class inside that queued behind this one need not wait.
	if g.waiting[c] == 0 && g.n > 0 && g.waiting[g.in] > 0 {
		g.admit(g.in)
	}
	g.mu.Unlock()
	return req.Context().Err()
}

func (g *classGate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n > 0 {
		return
	}
	switch {
	case g.waiting[g.in.other()] > 0:
		g.admit(g.in.other())
	case g.waiting[g.in] > 0:
		g.admit(g.in)
	}
}

// admit lets every waiter of class c in; g.mu is held.
func (g *classGate) admit(c pebbleClass) {
	g.in = c
	g.n += g.waiting[c]
	g.waiting[c] = 0
	close(g.open[c])
	g.open[c] = nil
}
