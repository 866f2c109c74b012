package pebblegate

import (
	"context"
	"sync"
)

// Gate admits requests of one class at a time into Pebble: any number of
// ClassAuthz together, or any number of ClassOrders together, never both;
// ClassFree requests go in at once. Once a request of the other class
// waits, newcomers of the class inside wait behind it, so neither class
// starves the other; when the last one inside leaves, every waiter of the
// other class goes in together. The zero Gate is open and empty.
//
// Leave must be called only once Pebble's handler has returned: a handler
// still running may hold the locks the gate keeps apart.
type Gate struct {
	mu sync.Mutex
	// in is the class inside while n > 0.
	in Class
	n  int
	// waiting counts the waiters by class; admit closes open[c] to let
	// those of class c in (counted in n by then).
	waiting [3]int
	open    [3]chan struct{}
	// queued, if set, is told of each request that waits (tests).
	queued func(Class)
}

// Enter waits until a request of class c may go into Pebble. It returns
// ctx's error if ctx ends first; then the request must not go in, and must
// not Leave.
func (g *Gate) Enter(ctx context.Context, c Class) error {
	if c == ClassFree {
		return nil
	}
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
	case <-ctx.Done():
	}
	g.mu.Lock()
	select {
	case <-ch: // admitted while giving up: counted in n, so leave
		g.mu.Unlock()
		g.Leave(c)
		return ctx.Err()
	default:
	}
	g.waiting[c]--
	// Those of the class inside that queued behind this one need not wait.
	if g.waiting[c] == 0 && g.n > 0 && g.waiting[g.in] > 0 {
		g.admit(g.in)
	}
	g.mu.Unlock()
	return ctx.Err()
}

// Leave gives back the place of a request of class c that Enter let in.
func (g *Gate) Leave(c Class) {
	if c == ClassFree {
		return
	}
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
func (g *Gate) admit(c Class) {
	g.in = c
	g.n += g.waiting[c]
	g.waiting[c] = 0
	close(g.open[c])
	g.open[c] = nil
}
