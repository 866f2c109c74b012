package issuer

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/acmeproto"
)

// Defaults of the per-account limits.
const (
	// DefaultMaxInFlight is how many pieces of ACME work of one account may
	// run at once when Options.MaxInFlight is zero.
	DefaultMaxInFlight = 4
	// slotBusyPause is how long a reconcile that found every slot of its
	// account taken waits before looking again; one that left a wake-up
	// waits slotWakePause at most, as a fallback.
	slotBusyPause = 250 * time.Millisecond
	slotWakePause = 2 * time.Second
	// rateLimitPause is how long an account pauses after a 429 that named
	// no Retry-After.
	rateLimitPause = 5 * time.Second
	// maxAccountHold caps how long one 429 silences the whole account. A CA
	// also answers 429 for limits of one set of names (Let's Encrypt's
	// duplicate-certificate limit asks for up to 34 hours): the order that
	// met it keeps the whole Retry-After in its own status, while the
	// account's other names, and renewals about to expire, go on after the
	// cap. A limit of the account itself answers the next request with a
	// new 429 and a new hold: one request per cap at most.
	maxAccountHold = 15 * time.Minute
)

// accountGate is what certflow knows about one ACME account at its CA and
// shares between every issuer, order and challenge using it: until when the
// CA asked the account to wait (the Retry-After of a 429 or a 503), and
// how much ACME work of the account is in flight. Safe for concurrent use.
type accountGate struct {
	clock clock.Clock
	limit int

	mu        sync.Mutex
	notBefore time.Time
	// inFlight counts the slots taken, including those handed to a woken
	// waiter that has not come back for it yet (reserved).
	inFlight int
	// waiters are the keys of reconciles that found no slot, first come
	// first served; wake[key] requeues one.
	waiters  []string
	wake     map[string]func()
	reserved map[string]time.Time // key → when its slot was handed over

	// onHold, if set, is called (without mu) when the CA's answer (a 429,
	// or a 503 naming a Retry-After) extended the hold.
	onHold func()
}

func newAccountGate(clk clock.Clock, inFlight int) *accountGate {
	return &accountGate{clock: clk, limit: inFlight, wake: map[string]func(){}, reserved: map[string]time.Time{}}
}

// wait returns when the account may send again, or zero if it may now.
func (g *accountGate) wait(now time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.notBefore) {
		return g.notBefore
	}
	return time.Time{}
}

// hold keeps the account quiet until at least until, and reports whether
// that extended the hold.
func (g *accountGate) hold(until time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(g.notBefore) {
		g.notBefore = until
		return true
	}
	return false
}

// slot takes one in-flight slot without blocking. When it cannot, it says
// when to look again: the end of the account's rate limit, or, when every
// slot is taken, shortly — and if wake is set, the slot is kept for key
// when it is given back, and wake is called (once) to fetch it. Waiters
// are served first come first served; a newcomer does not overtake them.
func (g *accountGate) slot(key string, wake func()) (release func(), retryAt time.Time, ok bool) {
	now := g.clock.Now()
	g.mu.Lock()
	woken := g.lapseLocked(now)
	release, retryAt, ok = g.slotLocked(now, key, wake)
	g.mu.Unlock()
	for _, w := range woken {
		w()
	}
	return release, retryAt, ok
}

func (g *accountGate) slotLocked(now time.Time, key string, wake func()) (func(), time.Time, bool) {
	if now.Before(g.notBefore) {
		return nil, g.notBefore, false
	}
	if _, ok := g.reserved[key]; ok {
		delete(g.reserved, key)
		return g.releaser(), time.Time{}, true
	}
	if g.inFlight < g.limit && len(g.waiters) == 0 {
		g.inFlight++
		return g.releaser(), time.Time{}, true
	}
	if wake == nil {
		return nil, now.Add(slotBusyPause), false
	}
	if _, queued := g.wake[key]; !queued {
		g.waiters = append(g.waiters, key)
	}
	g.wake[key] = wake
	return nil, now.Add(slotWakePause), false
}

// releaser returns a func giving one slot back (release) the first time it
// is called. Two allocations: sync.OnceFunc over the method value g.release
// made three per slot, and every ACME step of an Order or a Challenge takes
// a slot.
func (g *accountGate) releaser() func() {
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			g.release()
		}
	}
}

// release gives a slot back: to the longest waiter if there is one.
func (g *accountGate) release() {
	g.mu.Lock()
	wake := g.handOverLocked(g.clock.Now())
	g.mu.Unlock()
	if wake != nil {
		wake()
	}
}

// handOverLocked passes a freed slot to the first waiter, or frees it.
func (g *accountGate) handOverLocked(now time.Time) func() {
	if len(g.waiters) == 0 {
		g.inFlight--
		return nil
	}
	key := g.waiters[0]
	g.waiters = g.waiters[1:]
	wake := g.wake[key]
	delete(g.wake, key)
	g.reserved[key] = now
	return wake
}

// lapseLocked takes back slots kept for waiters that did not come for them
// within slotWakePause (deleted, or long delayed) and passes them on.
func (g *accountGate) lapseLocked(now time.Time) []func() {
	var woken []func()
	for key, at := range g.reserved {
		if now.Sub(at) < slotWakePause {
			continue
		}
		delete(g.reserved, key)
		if w := g.handOverLocked(now); w != nil {
			woken = append(woken, w)
		}
	}
	return woken
}

// transport wraps base so that no request of the account leaves while the
// CA asked it to wait: such a request is answered here with a 429 naming
// the remaining wait, as the CA would, without reaching the network. A 429
// from the CA, or a 503 naming a Retry-After, starts the wait for every
// user of the account.
func (g *accountGate) transport(base http.RoundTripper) http.RoundTripper {
	return gateTransport{gate: g, base: base}
}

type gateTransport struct {
	gate *accountGate
	base http.RoundTripper
}

func (t gateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	now := t.gate.clock.Now()
	if at := t.gate.wait(now); !at.IsZero() {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return rateLimitedLocally(req, at.Sub(now)), nil
	}
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	if d, ok := accountWait(res, now); ok {
		if t.gate.hold(t.gate.clock.Now().Add(min(d, maxAccountHold))) && t.gate.onHold != nil {
			t.gate.onHold()
		}
	}
	return res, err
}

// accountWait is how long res asks the whole account to wait, if it does:
// a 429 (its Retry-After, else rateLimitPause), or a 503 naming a
// Retry-After — the CA down for maintenance (RFC 9110 §15.6.4: the
// service, not the one resource, is unavailable that long), which every
// request of the account would meet until then. A 503 without one is an
// outage of unknown length, left to each request's own backoff.
func accountWait(res *http.Response, now time.Time) (time.Duration, bool) {
	switch res.StatusCode {
	case http.StatusTooManyRequests:
		d, ok := acmeproto.ParseRetryAfter(res.Header.Get("Retry-After"), now)
		if !ok {
			d = rateLimitPause
		}
		return d, true
	case http.StatusServiceUnavailable:
		d, ok := acmeproto.ParseRetryAfter(res.Header.Get("Retry-After"), now)
		return d, ok && d > 0
	}
	return 0, false
}

// rateLimitedLocally is the answer to a request the account may not send
// yet: a 429 rateLimited problem with the remaining wait (rounded up).
func rateLimitedLocally(req *http.Request, d time.Duration) *http.Response {
	secs := int64((d + time.Second - 1) / time.Second)
	body := fmt.Sprintf(`{"type":%q,"detail":"certflow: the CA asked this account to wait; not sent before the CA's Retry-After","status":429}`,
		acmeproto.ProblemRateLimited)
	h := http.Header{}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Retry-After", strconv.FormatInt(secs, 10))
	return &http.Response{
		Status: "429 Too Many Requests", StatusCode: http.StatusTooManyRequests,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader([]byte(body))), ContentLength: int64(len(body)),
		Request: req,
	}
}
