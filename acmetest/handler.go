package acmetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/certflow/certflow/internal/keylock"
)

// maxBody bounds a request body read before Pebble sees it; ACME requests
// are a few kilobytes.
const maxBody = 1 << 20

// front sits between the HTTP server and Pebble: it counts requests per
// endpoint, injects faults, and lets requests into Pebble's handlers one at
// a time.
type front struct {
	pebble       *pebbleParts
	closing      <-chan struct{}
	syncFinalize bool // see WithAsyncFinalize

	// serial lets one request at a time into Pebble's handlers (a
	// one-slot semaphore, so that a waiting request can give up when its
	// client leaves or the Server closes), for two reasons.
	//
	// Pebble v2.10.3 deadlocks under concurrent clients (the cycles are in
	// pebblegate.Paths): every cycle needs two handlers inside Pebble at
	// once. The lock classes of internal/pebblegate would break them too
	// while letting handlers of one class run together, as the e2e
	// harness does for a Pebble process, but:
	//
	// Pebble v2.10.3's handlers race with each other on memory: NewAccount
	// writes the account's Orders URL after it has stored the account,
	// which a concurrent NewAccount with the same key (replicas of a
	// Manager registering one account) reads without a lock; a key
	// rollover writes the account's key that other handlers read. Users
	// run their tests with -race, and the race detector fails them on
	// such a race (seen with the lock classes in
	// TestACME_ReplicasFinalizeEachOrderOnce). One handler at a time
	// orders every handler's writes before the next one's reads.
	//
	// One cycle with a single handler remains: a failed validation of an
	// ARI replacement order (newOrder with "replaces") holds that order's
	// lock while it read-locks the store; a poll of the order holds the
	// store's read lock and waits for the order's; a finalize goroutine
	// queued for the store's write lock in between closes it. serial is
	// held only while Pebble computes the answer: the body is read before
	// and the answer written after, through a buffer, so a slow client
	// cannot stall others.
	serial chan struct{}
	// authzs lets one request at a time per authorization through the
	// front's checks of it and into Pebble (guard.go).
	authzs keylock.Locks

	mu       sync.Mutex
	requests map[Endpoint]int
	log      []Request
	orders   int // newOrder requests Pebble answered 201 Created
	// newOrders records every newOrder request (see Server.NewOrders).
	newOrders []NewOrderRecord
	// posts counts, per request path, POSTs carrying a payload (not
	// POST-as-GET): accepts, finalizes, new orders.
	posts  map[string]int
	faults []Fault
	// ips refuses IP identifiers outside some profiles (WithIPProfiles).
	ips ipPolicy
}

func newFront(p *pebbleParts, faults []Fault, syncFinalize bool, closing <-chan struct{}) *front {
	return &front{
		pebble:       p,
		syncFinalize: syncFinalize,
		closing:      closing,
		serial:       make(chan struct{}, 1),
		requests:     map[Endpoint]int{},
		posts:        map[string]int{},
		faults:       append([]Fault(nil), faults...),
	}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isManagement(r.URL.Path) {
		f.forward(f.pebble.mgmt, w, r, nil)
		return
	}
	ep := classify(r.URL.Path)
	record := -1
	if ep == EndpointNewOrder {
		record = f.recordNewOrder(r)
	}
	fault, faulted := f.admit(ep)
	if faulted && !f.inject(fault, w, r) {
		if record >= 0 {
			f.answeredNewOrder(record, faultStatus(fault.Kind), "")
		}
		return
	}
	if record >= 0 && f.refuseIPs(w, r, record) {
		return
	}
	var beforeAnswer func(int)
	if ep == EndpointFinalize && f.syncFinalize {
		beforeAnswer = func(code int) {
			if code == http.StatusOK {
				f.awaitIssued(r.Context(), strings.TrimPrefix(r.URL.Path, finalizePathPrefix))
			}
		}
	}
	status := f.forward(f.pebble.acme, w, r, beforeAnswer)
	if ep == EndpointNewOrder && status == http.StatusCreated {
		f.mu.Lock()
		f.orders++
		f.mu.Unlock()
	}
	if record >= 0 {
		f.answeredNewOrder(record, status, w.Header().Get("Location"))
	}
}

// admit counts a request to ep and returns the fault that applies to it.
func (f *front) admit(ep Endpoint) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[ep]++
	n := f.requests[ep]
	// Wall clock on purpose: the log tells when requests reached the CA,
	// which runs in real time whatever clock the client under test uses.
	req := Request{Endpoint: ep, At: time.Now()}
	for _, fault := range f.faults {
		if fault.matches(ep, n) {
			req.Fault = fault.Kind
			f.log = append(f.log, req)
			return fault, true
		}
	}
	f.log = append(f.log, req)
	return Fault{}, false
}

func (f *front) requestLog() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.log...)
}

func (f *front) addFault(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault)
}

func (f *front) count(ep Endpoint) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[ep]
}

// postsPerPath returns the POSTs with a payload to e, by request path.
func (f *front) postsPerPath(e Endpoint) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for path, n := range f.posts {
		if classify(path) == e {
			out[path] = n
		}
	}
	return out
}

func (f *front) ordersCreated() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.orders
}

// forward runs h (one of Pebble's handlers) under serial and copies its
// buffered answer to w, after calling beforeAnswer (if not nil) with its
// status code outside serial. It returns the answer's status code.
func (f *front) forward(h http.Handler, w http.ResponseWriter, r *http.Request, beforeAnswer func(int)) int {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		// The client went away while sending; nobody reads an answer.
		return 0
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if r.Method == http.MethodPost && !isManagement(r.URL.Path) && isAccept(body) {
		f.mu.Lock()
		f.posts[r.URL.Path]++
		f.mu.Unlock()
	}
	rec, refused, err := f.intoPebble(h, r, body)
	switch {
	case err != nil:
		if r.Context().Err() == nil {
			f.writeProblem(w, r, http.StatusServiceUnavailable, "serverInternal", "acmetest: server closing")
		}
		return 0
	case refused != "":
		f.writeProblem(w, r, http.StatusBadRequest, "malformed", "acmetest: challenge not accepted: "+refused)
		return http.StatusBadRequest
	}
	if beforeAnswer != nil {
		beforeAnswer(rec.Code)
	}
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	return rec.Code
}

// intoPebble lets r into h when serial and the guards allow and returns
// h's answer; or why the guards refused it; or the error that ended its
// wait (its client went away or the Server is closing).
func (f *front) intoPebble(h http.Handler, r *http.Request, body []byte) (*httptest.ResponseRecorder, string, error) {
	// The authorization's lock is taken before serial and given back after
	// it, so that no request holding serial waits for one.
	if id := f.authzOf(r, body); id != "" {
		unlock, err := f.authzs.Lock(r.Context(), id, f.closing)
		if err != nil {
			return nil, "", err
		}
		defer unlock()
		if classify(r.URL.Path) == EndpointAuthz && isAccept(body) {
			if err := f.awaitValidation(r.Context(), id); err != nil {
				return nil, "", err
			}
		}
	}
	if err := f.enter(r.Context()); err != nil {
		return nil, "", err
	}
	defer f.leave()
	if why, refuse := f.refuseAccept(r, body); refuse {
		return nil, why, nil
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec, "", nil
}

// errClosing ends a wait because the Server is closing.
var errClosing = errors.New("acmetest: server closing")

// enter takes the serial slot, unless ctx ends or the Server closes first.
func (f *front) enter(ctx context.Context) error {
	select {
	case f.serial <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-f.closing:
		return errClosing
	}
}

// leave gives the serial slot back.
func (f *front) leave() { <-f.serial }

// freshNonce asks Pebble for a nonce, as a client's HEAD newNonce would,
// without counting it as a request. It returns "" if it cannot get one.
func (f *front) freshNonce(ctx context.Context) string {
	req := httptest.NewRequestWithContext(ctx, http.MethodHead, "https://acmetest.invalid/nonce-plz", nil)
	req.Header.Set("User-Agent", "acmetest")
	rec := httptest.NewRecorder()
	if f.enter(ctx) != nil {
		return ""
	}
	f.pebble.acme.ServeHTTP(rec, req)
	f.leave()
	return rec.Header().Get("Replay-Nonce")
}
