package e2e

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/certflow/certflow/internal/pebblegate"
)

// benchGateEnv chooses how requests are let into the Pebble process
// (pebble and rtt CAs): gateClasses unless set.
//
//   - "classes" (gateClasses): a request that holds an authorization's lock
//     while it waits for another never runs beside one that holds the
//     store's or an order's lock while it waits for an authorization's;
//     all else goes in parallel, as at a real CA (byClass);
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
		return classTransport{base: base, gate: &pebblegate.Gate{}, probe: p, ungated: true}
	default:
		return byClass(base, p)
	}
}

// byClass lets requests through base as a pebblegate.Gate does: a
// request that holds an authorization's lock while it waits for another
// never runs beside one that holds the store's or an order's lock while it
// waits for an authorization's (pebblegate.Paths); all else goes in
// parallel.
func byClass(base http.RoundTripper, p *probe) http.RoundTripper {
	return classTransport{base: base, gate: &pebblegate.Gate{}, probe: p}
}

type classTransport struct {
	base  http.RoundTripper
	gate  *pebblegate.Gate
	probe *probe
	// ungated lets every request through at once (gateNone).
	ungated bool
}

func (t classTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := pebblegate.ClassOf(req.URL.Path)
	took, answered := func() {}, func() {}
	if t.probe != nil {
		req, took, answered = t.probe.entered(req, c)
	}
	defer answered() // after the class is given back
	if c != pebblegate.ClassFree && !t.ungated {
		if err := t.gate.Enter(req.Context(), c); err != nil {
			return nil, err
		}
		// Given back when the answer's head has come: Pebble writes an
		// answer of under 2 KB (all of these) once its handler has
		// returned, so its locks are free by then (checkAnswered).
		defer t.gate.Leave(c)
	}
	took()
	res, err := t.base.RoundTrip(req)
	if err == nil && c != pebblegate.ClassFree {
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
