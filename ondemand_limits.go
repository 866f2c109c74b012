package certflow

import (
	"context"
	"sync"
	"time"

	"github.com/certflow/certflow/meta"
)

// denyCache remembers denied names until their TTL ends, at most size of
// them: when full, the oldest denial is forgotten first (a ring of names),
// so a flood of random names costs a fixed amount of memory.
type denyCache struct {
	mu    sync.Mutex
	until map[string]denial
	ring  []string // insertion order; "" is a free slot
	next  int
}

type denial struct {
	until time.Time
	err   error
}

func newDenyCache(size int) *denyCache {
	return &denyCache{until: make(map[string]denial, min(size, 1024)), ring: make([]string, size)}
}

// denied returns the remembered denial of name, if it has not expired at now.
func (c *denyCache) denied(name string, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.until[name]
	if !ok || !now.Before(d.until) {
		return nil
	}
	return d.err
}

// add remembers err for name until until.
func (c *denyCache) add(name string, until time.Time, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.until[name]; ok {
		c.until[name] = denial{until, err}
		return
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.until, old)
	}
	c.ring[c.next] = name
	c.next = (c.next + 1) % len(c.ring)
	c.until[name] = denial{until, err}
}

// len returns how many names are remembered.
func (c *denyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.until)
}

// tokenBucket allows rate events per second, burst at once, on the time
// it is given (the Manager's clock), so tests drive it with a fake clock.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int) *tokenBucket {
	return &tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// take spends a token at now, or returns false when none is left.
func (b *tokenBucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// issuerSlots bounds the issuances in flight per issuer.
type issuerSlots struct {
	mu    sync.Mutex
	per   int
	slots map[meta.Ref]chan struct{}
}

// acquire waits for a slot of iss, or returns ctx's error; release gives
// it back.
func (s *issuerSlots) acquire(ctx context.Context, iss meta.Ref) (release func(), err error) {
	s.mu.Lock()
	ch, ok := s.slots[iss]
	if !ok {
		ch = make(chan struct{}, s.per)
		s.slots[iss] = ch
	}
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
