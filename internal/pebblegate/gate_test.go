package pebblegate

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gateRig sends requests through a Gate into a "Pebble" that holds each
// one until the test releases its path, and hears which ones queued.
type gateRig struct {
	t *testing.T
	// ctx ends when the test does, so requests a broken gate still holds
	// end with it.
	ctx     context.Context
	gate    *Gate
	queued  chan Class
	arrived chan string

	mu       sync.Mutex
	release  map[string]chan struct{}
	answered map[string]bool
	// all answers every request, held or still to come (a test ending).
	all bool
	wg  sync.WaitGroup
}

func newGateRig(t *testing.T) *gateRig {
	ctx, cancel := context.WithCancel(context.Background())
	r := &gateRig{t: t, ctx: ctx, queued: make(chan Class, 16), arrived: make(chan string, 16),
		release: map[string]chan struct{}{}, answered: map[string]bool{}}
	r.gate = &Gate{queued: func(c Class) { r.queued <- c }}
	t.Cleanup(func() {
		cancel()
		r.answerAll()
		r.wg.Wait()
	})
	return r
}

func (r *gateRig) held(path string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := r.release[path]
	if ch == nil {
		ch = make(chan struct{})
		r.release[path] = ch
		if r.all {
			r.answered[path] = true
			close(ch)
		}
	}
	return ch
}

// answer lets the request for path leave Pebble.
func (r *gateRig) answer(path string) {
	ch := r.held(path)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.answered[path] {
		r.answered[path] = true
		close(ch)
	}
}

func (r *gateRig) answerAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = true
	for path, ch := range r.release {
		if !r.answered[path] {
			r.answered[path] = true
			close(ch)
		}
	}
}

// send sends a request for path with ctx and returns where Enter's error
// will be reported once the request has left.
func (r *gateRig) send(ctx context.Context, path string) <-chan error {
	done := make(chan error, 1)
	r.wg.Go(func() {
		c := ClassOf(path)
		if err := r.gate.Enter(ctx, c); err != nil {
			done <- err
			return
		}
		r.arrived <- path
		<-r.held(path)
		r.gate.Leave(c)
		done <- nil
	})
	return done
}

// arrives waits for the next thing to happen at the gate and fails unless
// it is path reaching Pebble.
func (r *gateRig) arrives(path string) {
	r.t.Helper()
	select {
	case got := <-r.arrived:
		require.Equal(r.t, path, got, "the request that reached Pebble")
	case c := <-r.queued:
		r.t.Fatalf("a request of class %s queued; want %s to reach Pebble", c, path)
	case <-time.After(5 * time.Second):
		r.t.Fatalf("%s did not reach Pebble", path)
	}
}

// reached returns the next path to reach Pebble.
func (r *gateRig) reached() string {
	r.t.Helper()
	select {
	case got := <-r.arrived:
		return got
	case <-time.After(5 * time.Second):
		r.t.Fatal("no request reached Pebble")
		return ""
	}
}

// queues fails unless the next thing to happen is a request of class c
// queueing at the gate.
func (r *gateRig) queues(c Class) {
	r.t.Helper()
	select {
	case got := <-r.queued:
		require.Equal(r.t, c, got, "the class that queued")
	case path := <-r.arrived:
		r.t.Fatalf("%s reached Pebble; want a request of class %s to queue", path, c)
	case <-time.After(5 * time.Second):
		r.t.Fatalf("no request of class %s queued", c)
	}
}

// TestGate_OtherClassWaitsItsTurnAndIsNotStarved: an authorization read
// waits while an order poll is in Pebble; an order poll coming after it
// waits behind it, though its class is inside; free requests go at once
// throughout.
func TestGate_OtherClassWaitsItsTurnAndIsNotStarved(t *testing.T) {
	r := newGateRig(t)
	ctx := r.ctx
	a := r.send(ctx, "/my-order/a")
	r.arrives("/my-order/a")
	z := r.send(ctx, "/authZ/z")
	r.queues(ClassAuthz)
	b := r.send(ctx, "/finalize-order/b")
	r.queues(ClassOrders)
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

// TestGate_OneClassGoesTogether: requests of one class are in Pebble
// together (the gate is not a turn), and all of the other class that
// waited go in together when the last one leaves.
func TestGate_OneClassGoesTogether(t *testing.T) {
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
		r.queues(ClassAuthz)
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

// TestGate_GivingUpLetsTheQueueOn: a waiter whose context ends returns
// its error, and those of the class inside that queued behind it go in.
func TestGate_GivingUpLetsTheQueueOn(t *testing.T) {
	r := newGateRig(t)
	a := r.send(r.ctx, "/my-order/a")
	r.arrives("/my-order/a")
	ctx, cancel := context.WithCancel(r.ctx)
	z := r.send(ctx, "/authZ/z")
	r.queues(ClassAuthz)
	b := r.send(r.ctx, "/my-order/b")
	r.queues(ClassOrders)
	cancel()
	require.ErrorIs(t, <-z, context.Canceled)
	r.arrives("/my-order/b")
	r.answer("/my-order/a")
	r.answer("/my-order/b")
	require.NoError(t, <-a)
	require.NoError(t, <-b)
}

// TestGate_NeverBothClasses sends requests of random classes from many
// goroutines and checks that Pebble never has both classes at once, and
// did have several of one class at once.
func TestGate_NeverBothClasses(t *testing.T) {
	var g Gate
	var in [3]atomic.Int32
	var most atomic.Int32
	var clash atomic.Bool
	paths := []string{"/authZ/a", "/chalZ/b", "/order-plz", "/my-order/c", "/finalize-order/d", "/nonce-plz", "/certZ/e"}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				c := ClassOf(paths[rand.IntN(len(paths))])
				if !assert.NoError(t, g.Enter(context.Background(), c)) {
					return
				}
				n := in[c].Add(1)
				if c != ClassFree && in[c.other()].Load() > 0 {
					clash.Store(true)
				}
				if c != ClassFree && n > most.Load() {
					most.Store(n)
				}
				for range rand.IntN(20) {
					runtime.Gosched()
				}
				in[c].Add(-1)
				g.Leave(c)
			}
		})
	}
	wg.Wait()
	assert.False(t, clash.Load(), "both classes were in Pebble at once")
	assert.Greater(t, most.Load(), int32(1), "never two of one class at once")
}
