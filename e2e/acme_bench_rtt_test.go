package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"
)

// rttCA is the CA of BenchmarkACMEIssuance that is the standalone Pebble
// reached over a network path with a round trip of benchRTT, as a real CA
// is: tens of milliseconds away, where a client's CPU is no longer what
// bounds its rate but its round trips and waits are. It is not called
// "pebble-…": -bench patterns match unanchored, and "pebble" must keep
// selecting only the loopback Pebble.
const rttCA = "rtt"

// benchRTTEnv sets rttCA's round trip (a Go duration, "0" for none);
// defaultBenchRTT if unset.
const (
	benchRTTEnv     = "BENCH_RTT"
	defaultBenchRTT = 20 * time.Millisecond
)

// vaFetchRTTs is how many round trips a validation fetch takes: Pebble's
// VA opens a connection per fetch (keep-alives off), so a TCP handshake,
// then the request and its answer. DNS is not delayed.
const vaFetchRTTs = 2

// benchRTT returns the round trip between the clients, the CA and the
// HTTP-01 server for the CA named ca: 0 for all but rttCA.
func benchRTT(tb testing.TB, ca string) time.Duration {
	if ca != rttCA {
		return 0
	}
	s := os.Getenv(benchRTTEnv)
	if s == "" {
		return defaultBenchRTT
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		tb.Fatalf("%s=%q: want a duration ≥ 0", benchRTTEnv, s)
	}
	return d
}

// rttTimeout is how much longer than benchTimeout a contender may take
// when every request costs rtt: sixteen round trips per certificate (a
// minimal issuance has seven, plus polls), certificates in turns of conc.
func rttTimeout(rtt time.Duration, shape issuanceShape) time.Duration {
	return benchTimeout + time.Duration(16*(shape.certs+shape.conc-1)/shape.conc)*rtt
}

// withRTT delays every request through base by half of rtt before base
// sees it and its answer by the other half after base returns it: a
// delay per request and answer, not per packet. Connections are kept
// (MaxIdleConnsPerHost is four per certificate in flight), so handshakes
// are not delayed. Put outside the gate into Pebble (gated), the delay is
// spent in flight, not holding the gate: a real CA answers many clients
// at once and the gate only works around a Pebble deadlock, so inside it
// the one-at-a-time turn would cap everyone at 1/rtt requests per second
// and measure the guard, not the clients.
func withRTT(base http.RoundTripper, rtt time.Duration) http.RoundTripper {
	if rtt == 0 {
		return base
	}
	return rttTransport{base: base, rtt: rtt}
}

// pebbleTransport is how the clients reach the Pebble process: through
// gate (benchGateEnv), each request with the round trip rtt outside it.
func pebbleTransport(base http.RoundTripper, gate string, p *probe, rtt time.Duration) http.RoundTripper {
	return withRTT(gated(gate, base, p), rtt)
}

type rttTransport struct {
	base http.RoundTripper
	rtt  time.Duration
	// wait spends each half of the round trip: sleepCtx if nil. A test
	// sets it to see where the halves are spent without timing them.
	wait func(ctx context.Context, d time.Duration) error
}

func (t rttTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	wait := t.wait
	if wait == nil {
		wait = sleepCtx
	}
	if err := wait(req.Context(), t.rtt/2); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if err := wait(req.Context(), t.rtt-t.rtt/2); err != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// delayHandler answers each request through h d after it came (the whole
// delay before h reads the token: every token is in place before its
// challenge is accepted, so when it is read does not matter).
func delayHandler(h http.Handler, d time.Duration) http.Handler {
	if d == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sleepCtx(r.Context(), d) != nil {
			return
		}
		h.ServeHTTP(w, r)
	})
}

// selfCheckPort serves h without delay on another loopback port, for
// certflow's HTTP-01 self-checks: those go from the client to its own
// HTTP server, a hop inside its network, not across the CA's path.
func selfCheckPort(tb testing.TB, h http.Handler) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(l) }()
	tb.Cleanup(func() { _ = hs.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// loopbackDial dials port on 127.0.0.1 whatever address it is asked for.
// It stands in for the self-check's default dialer, so it dials as that
// does: without TCP keep-alive, for a connection of one request.
func loopbackDial(port int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		d := net.Dialer{KeepAlive: -1}
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	}
}

// sleepCtx waits d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
