package e2e

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heldCA answers each request when the test releases its path, and says
// which paths reached it.
type heldCA struct {
	mu       sync.Mutex
	release  map[string]chan struct{}
	answered map[string]bool
	// all answers every request (a test ending).
	all     bool
	arrived chan string
}

func newHeldCA() *heldCA {
	return &heldCA{release: map[string]chan struct{}{}, answered: map[string]bool{}, arrived: make(chan string, 16)}
}

func (ca *heldCA) gate(path string) chan struct{} {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ch := ca.release[path]
	if ch == nil {
		ch = make(chan struct{})
		ca.release[path] = ch
		if ca.all {
			ca.answered[path] = true
			close(ch)
		}
	}
	return ch
}

func (ca *heldCA) answer(path string) {
	ch := ca.gate(path)
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if !ca.answered[path] {
		ca.answered[path] = true
		close(ch)
	}
}

// answerAll answers every request, held or still to come, so a failed
// test's requests end.
func (ca *heldCA) answerAll() {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.all = true
	for path, ch := range ca.release {
		if !ca.answered[path] {
			ca.answered[path] = true
			close(ch)
		}
	}
}

func (ca *heldCA) RoundTrip(req *http.Request) (*http.Response, error) {
	ca.arrived <- req.URL.Path
	<-ca.gate(req.URL.Path)
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
}

// gateRig sends requests through a classTransport to a heldCA and hears
// which ones queued at the gate.
type gateRig struct {
	t *testing.T
	// ctx ends when the test does, so requests a broken gate still holds
	// end with it.
	ctx    context.Context
	ca     *heldCA
	tr     classTransport
	queued chan pebbleClass
	wg     sync.WaitGroup
}

func newGateRig(t *testing.T) *gateRig {
	ctx, cancel := context.WithCancel(context.Background())
	r := &gateRig{t: t, ctx: ctx, ca: newHeldCA(), queued: make(chan pebbleClass, 16)}
	g := &classGate{queued: func(c pebbleClass) { r.queued <- c }}
	r.tr = classTransport{base: r.ca, gate: g}
	t.Cleanup(func() {
		cancel()
		r.ca.answerAll()
		r.wg.Wait()
	})
	return r
}

// send sends a request for path with ctx and returns where its error will
// be reported.
func (r *gateRig) send(ctx context.Context, path string) <-chan error {
	done := make(chan error, 1)
	r.wg.Go(func() {
		req := httptest.NewRequest(http.MethodPost, "https://ca.test"+path, nil).WithContext(ctx)
		res, err := r.tr.RoundTrip(req)
		if err == nil {
			_ = res.Body.Close()
		}
		done <- err
	})
	return done
}

// arrives waits for the next thing to happen at the gate and fails unless
// it is path reaching the CA.
func (r *gateRig) arrives(path string) {
	r.t.Helper()
	select {
	case got := <-r.ca.arrived:
		require.Equal(r.t, path, got, "the request that reached the CA")
	case c := <-r.queued:
		r.t.Fatalf("a request of class %s queued; want %s to reach the CA", c, path)
	case <-time.After(5 * time.Second):
		r.t.Fatalf("%s did not reach the CA", path)
	}
}

// reached returns the next path to reach the CA.
func (r *gateRig) reached() string {
	r.t.Helper()
	select {
	case got := <-r.ca.arrived:
		return got
	case <-time.After(5 * time.Second):
		r.t.Fatal("no request reached the CA")
		return ""
	}
}

// queues fails unless the next thing to happen is a request of class c
// queueing at the gate.
func (r *gateRig) queues(c pebbleClass) {
	r.t.Helper()
	select {
	case got := <-r.queued:
		require.Equal(r.t, c, got, "the class that queued")
	case path := <-r.ca.arrived:
		r.t.Fatalf("%s reached the CA; want a request of class %s to queue", path, c)
	case <-time.After(5 * time.Second):
		r.t.Fatalf("no request of class %s queued", c)
	}
}

func (r *gateRig) answer(path string) { r.ca.answer(path) }

// TestClassGate_OtherClassWaitsItsTurnAndIsNotStarved: an authorization
// read waits while an order poll is in Pebble; an order poll coming after
// it waits behind it, though its class is inside; free requests go at
// once throughout.
func TestClassGate_OtherClassWaitsItsTurnAndIsNotStarved(t *testing.T) {
	r := newGateRig(t)
	ctx := r.ctx
	a := r.send(ctx, "/my-order/a")
	r.arrives("/my-order/a")
	z := r.send(ctx, "/authZ/z")
	r.queues(classAuthz)
	b := r.send(ctx, "/finalize-order/b")
	r.queues(classOrders)
	n := r.send(ctx, "/nonce-plz")
	r.arrives("/nonce-plz")
	r.answer("/nonce-plz")
	require.NoError(t, <-n)

	r.answer("/my-order/a")
	require.NoError(t, <-a)
	r.arrives("/authZ/z")
	r.answer("/authZ/z")
	require.NoError(t, <-z)
	r.arrives("/finalize-order/b")
	r.answer("/finalize-order/b")
	require.NoError(t, <-b)
}

// TestClassGate_OneClassGoesTogether: requests of one class are in Pebble
// together (the gate is not a turn), and all of the other class that
// waited go in together when the last one leaves.
func TestClassGate_OneClassGoesTogether(t *testing.T) {
	r := newGateRig(t)
	ctx := r.ctx
	var orders []<-chan error
	for _, p := range []string{"/order-plz", "/my-order/a", "/list-orderz/b"} {
		orders = append(orders, r.send(ctx, p))
		r.arrives(p)
	}
	var authz []<-chan error
	for _, p := range []string{"/authZ/a", "/chalZ/b"} {
		authz = append(authz, r.send(ctx, p))
		r.queues(classAuthz)
	}
	for i, p := range []string{"/order-plz", "/my-order/a", "/list-orderz/b"} {
		r.answer(p)
		require.NoError(t, <-orders[i])
	}
	got := []string{r.reached(), r.reached()}
	assert.ElementsMatch(t, []string{"/authZ/a", "/chalZ/b"}, got)
	r.answer("/authZ/a")
	r.answer("/chalZ/b")
	for _, e := range authz {
		require.NoError(t, <-e)
	}
}

// TestClassGate_GivingUpLetsTheQueueOn: a waiter whose context ends
// returns its error, and those of the class inside that queued behind it
// go in.
func TestClassGate_GivingUpLetsTheQueueOn(t *testing.T) {
	r := newGateRig(t)
	a := r.send(r.ctx, "/my-order/a")
	r.arrives("/my-order/a")
	ctx, cancel := context.WithCancel(r.ctx)
	z := r.send(ctx, "/authZ/z")
	r.queues(classAuthz)
	b := r.send(r.ctx, "/my-order/b")
	r.queues(classOrders)
	cancel()
	require.ErrorIs(t, <-z, context.Canceled)
	r.arrives("/my-order/b")
	r.answer("/my-order/a")
	r.answer("/my-order/b")
	require.NoError(t, <-a)
	require.NoError(t, <-b)
}

// TestClassGate_NeverBothClasses sends requests of random classes from
// many goroutines and checks that the CA never has both classes at once,
// and did have several of one class at once.
func TestClassGate_NeverBothClasses(t *testing.T) {
	var in [3]atomic.Int32
	var most atomic.Int32
	var clash atomic.Bool
	ca := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		c := pebbleClassOf(req.URL.Path)
		n := in[c].Add(1)
		if c != classFree && in[c.other()].Load() > 0 {
			clash.Store(true)
		}
		if c != classFree && n > most.Load() {
			most.Store(n)
		}
		for range rand.IntN(20) {
			runtime.Gosched()
		}
		in[c].Add(-1)
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req, ContentLength: 0}, nil
	})
	tr := byClass(ca, nil)
	paths := []string{"/authZ/a", "/chalZ/b", "/order-plz", "/my-order/c", "/finalize-order/d", "/nonce-plz", "/certZ/e"}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				req := httptest.NewRequest(http.MethodPost, "https://ca.test"+paths[rand.IntN(len(paths))], nil)
				res, err := tr.RoundTrip(req)
				if assert.NoError(t, err) {
					_ = res.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	assert.False(t, clash.Load(), "both classes were in the CA at once")
	assert.Greater(t, most.Load(), int32(1), "never two of one class at once")
}

// TestClassTransport_AnswerWithoutLengthFails: a gated answer whose head
// may have left before its handler returned is refused, a free one not.
func TestClassTransport_AnswerWithoutLengthFails(t *testing.T) {
	ca := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req, ContentLength: -1}, nil
	})
	tr := byClass(ca, nil)
	_, err := tr.RoundTrip(httptest.NewRequest(http.MethodPost, "https://ca.test/authZ/a", nil))
	require.ErrorContains(t, err, "without a Content-Length")
	res, err := tr.RoundTrip(httptest.NewRequest(http.MethodPost, "https://ca.test/certZ/a", nil))
	require.NoError(t, err)
	_ = res.Body.Close()
}

// TestBenchGate_DefaultIsClasses: unset, the gate is the classes; the old
// turn is chosen by name.
func TestBenchGate_DefaultIsClasses(t *testing.T) {
	t.Setenv(benchGateEnv, "")
	assert.Equal(t, gateClasses, benchGate(t))
	t.Setenv(benchGateEnv, gateTurn)
	assert.Equal(t, gateTurn, benchGate(t))
	_, isTurn := gated(gateTurn, http.DefaultTransport, nil).(serialTransport)
	assert.True(t, isTurn)
}
