package acmetest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
)

// maxBody bounds a request body read before Pebble sees it; ACME requests
// are a few kilobytes.
const maxBody = 1 << 20

// front sits between the HTTP server and Pebble: it counts requests per
// endpoint, injects faults, and serializes the requests into Pebble.
type front struct {
	pebble  *pebbleParts
	closing <-chan struct{}

	// serial lets one request at a time into Pebble's handlers. Pebble
	// v2.10.3 deadlocks under concurrent clients: the authz handler holds an
	// authorization's write lock and then takes the store's read lock; a
	// finalize goroutine storing a certificate queues for the store's write
	// lock, which (sync.RWMutex) blocks new readers; a new-order handler holds
	// the store's read lock while it read-locks every authorization, and waits
	// for the first handler's. Two of the three parties are handlers, so with
	// at most one handler inside Pebble the cycle cannot close. The background
	// goroutines (finalize, validation) never wait for a lock while holding
	// one in the opposite order to a handler: the finalize goroutine holds at
	// most one lock at a time, so a queued writer on the store only waits for
	// the current reader (the one handler, or a background reader that holds
	// nothing else) to finish. serial is held only while Pebble computes the
	// answer: the body is read before and the answer written after, into a
	// buffer, so a slow client cannot stall the others.
	serial sync.Mutex

	mu       sync.Mutex
	requests map[Endpoint]int
	orders   int // newOrder requests Pebble answered 201 Created
	faults   []Fault
}

func newFront(p *pebbleParts, faults []Fault, closing <-chan struct{}) *front {
	return &front{
		pebble:   p,
		closing:  closing,
		requests: map[Endpoint]int{},
		faults:   append([]Fault(nil), faults...),
	}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isManagement(r.URL.Path) {
		f.forward(f.pebble.mgmt, w, r)
		return
	}
	ep := classify(r.URL.Path)
	fault, faulted := f.admit(ep)
	if faulted && !f.inject(fault, w, r) {
		return
	}
	status := f.forward(f.pebble.acme, w, r)
	if ep == EndpointNewOrder && status == http.StatusCreated {
		f.mu.Lock()
		f.orders++
		f.mu.Unlock()
	}
}

// admit counts a request to ep and returns the fault that applies to it.
func (f *front) admit(ep Endpoint) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[ep]++
	n := f.requests[ep]
	for _, fault := range f.faults {
		if fault.matches(ep, n) {
			return fault, true
		}
	}
	return Fault{}, false
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

func (f *front) ordersCreated() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.orders
}

// forward runs h (one of Pebble's handlers) under serial and copies its
// buffered answer to w. It returns the answer's status code.
func (f *front) forward(h http.Handler, w http.ResponseWriter, r *http.Request) int {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		// The client went away while sending; nobody reads an answer.
		return 0
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)

	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
	return rec.Code
}

// freshNonce asks Pebble for a nonce, as a client's HEAD newNonce would,
// without counting it as a request.
func (f *front) freshNonce() string {
	req := httptest.NewRequest(http.MethodHead, "https://acmetest.invalid/nonce-plz", nil)
	req.Header.Set("User-Agent", "acmetest")
	rec := httptest.NewRecorder()
	f.serial.Lock()
	f.pebble.acme.ServeHTTP(rec, req)
	f.serial.Unlock()
	return rec.Header().Get("Replay-Nonce")
}
