package certflow

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/serve"
	"github.com/certflow/certflow/store"
)

// Bounds of the Store reads a serving miss may cause.
const (
	// missReadInterval is the least time between the starts of two reads
	// of the Store's Challenges on behalf of misses: however many requests
	// miss, the Store is read at most once per interval, one read at a
	// time, and a validation waits at most about two reads for its answer.
	missReadInterval = 100 * time.Millisecond
	// missReadTimeout bounds one such read.
	missReadTimeout = 5 * time.Second
	// missNegativeTTL is how long a token the Store did not hold is
	// answered 404 without another read. Tokens are secret until the CA
	// validates them, and a challenge is stored as presented before its
	// self-check and accept, so a token asked for before it was stored is
	// not one the CA will ask for: remembering the miss loses nothing.
	missNegativeTTL = 5 * time.Second
	// missNegativeMax bounds the tokens remembered.
	missNegativeMax = 4096
)

// challengeMiss answers HTTP-01 and TLS-ALPN-01 validations that the
// serving cache misses because this replica's Store watch has not
// delivered their Challenge yet: the CA's validation, routed by a load
// balancer, may reach a replica other than the one that presented and
// accepted the challenge. Before answering 404 it reads the Store's
// Challenges (a consistent read that holds every challenge the CA may
// validate: Presented is stored before the self-check and the accept) and
// serves what it finds.
//
// Only a miss that may be real reads (missGate: a name of a Certificate
// whose issuance is under way). Misses share reads: a miss waits for the
// next read that starts after it, reads are serialised and at least
// missReadInterval apart, so a flood of made-up tokens costs the Store at
// most one read per interval; a token still missing after its read is
// answered at once for missNegativeTTL.
type challengeMiss struct {
	store store.Reader
	clock clock.Clock
	put   func(*challenge.Challenge)
	drop  func(ref meta.Ref, resourceVersion string)
	// gate lets through only misses that may be real: for a name of a
	// Certificate whose issuance is under way.
	gate *missGate

	mu sync.Mutex
	// running is the read in progress; next the one that starts after it
	// (shared by every miss that came while running was under way).
	running, next *missRead
	// idle is closed (and replaced) whenever a read ends.
	idle      chan struct{}
	lastStart time.Time
	negative  map[string]time.Time // token → answered 404 until
	// served holds what reads put in the cache, which the watch may never
	// remove (a watch reset re-lists only what the watch itself loaded): a
	// later read drops what is gone. Only the running read touches it.
	served map[meta.Ref]bool
}

type missRead struct {
	done chan struct{}
	err  error
}

func newChallengeMiss(st store.Reader, clk clock.Clock, gate *missGate, put func(*challenge.Challenge), drop func(meta.Ref, string)) *challengeMiss {
	return &challengeMiss{store: st, clock: clk, gate: gate, put: put, drop: drop, idle: make(chan struct{}),
		negative: map[string]time.Time{}, served: map[meta.Ref]bool{}}
}

// refresh returns once a read of the Store's Challenges that started after
// the call has been served to the cache (or failed), or ctx is done.
func (c *challengeMiss) refresh(ctx context.Context) error {
	c.mu.Lock()
	r := c.next
	if r == nil {
		r = &missRead{done: make(chan struct{})}
		c.next = r
	}
	c.mu.Unlock()
	for {
		c.mu.Lock()
		if c.running == nil && c.next == r {
			c.running, c.next = r, nil
			c.mu.Unlock()
			c.run(ctx, r)
			return r.err
		}
		idle := c.idle
		c.mu.Unlock()
		select {
		case <-r.done:
			return r.err
		case <-idle: // the read before r ended: r may start
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// run performs read r, no sooner than missReadInterval after the last one
// started, and on a context of its own: the misses waiting for it do not
// depend on the one that happens to run it.
func (c *challengeMiss) run(ctx context.Context, r *missRead) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), missReadTimeout)
	defer cancel()
	defer func() {
		c.mu.Lock()
		c.running = nil
		idle := c.idle
		c.idle = make(chan struct{})
		c.mu.Unlock()
		close(r.done)
		close(idle)
	}()
	c.mu.Lock()
	at := c.lastStart.Add(missReadInterval)
	c.mu.Unlock()
	if c.clock.Now().Before(at) {
		t := clock.NewTimerAt(c.clock, at)
		select {
		case <-t.C():
		case <-rctx.Done():
			t.Stop()
			r.err = rctx.Err()
			return
		}
	}
	c.mu.Lock()
	c.lastStart = c.clock.Now()
	c.mu.Unlock()
	r.err = c.read(rctx)
}

// read lists the Challenges and serves those the CA may validate.
func (c *challengeMiss) read(ctx context.Context) error {
	res, err := c.store.List(ctx, store.ListOptions{Kind: meta.KindChallenge})
	if err != nil && len(res.Items) == 0 {
		return err
	}
	listed := make(map[meta.Ref]bool, len(res.Items))
	var found []*challenge.Challenge
	for _, raw := range res.Items {
		ch := &challenge.Challenge{}
		if raw.Decode(ch) != nil || !challenge.Serving(ch) {
			continue
		}
		listed[raw.Ref] = true
		c.served[raw.Ref] = true
		found = append(found, ch)
	}
	// In the order they were written, as the watch would have put them:
	// of two challenges sharing a token or name, the later one is served.
	slices.SortFunc(found, func(a, b *challenge.Challenge) int {
		return cmp.Compare(versionOf(a), versionOf(b))
	})
	for _, ch := range found {
		c.put(ch)
	}
	at := strconv.FormatUint(res.Revision, 10)
	for ref := range c.served {
		if !listed[ref] {
			// Gone at the list's revision; a newer version the cache was
			// given meanwhile stays.
			c.drop(ref, at)
			delete(c.served, ref)
		}
	}
	return nil
}

func versionOf(ch *challenge.Challenge) uint64 {
	v, _ := strconv.ParseUint(ch.ObjectMeta.ResourceVersion, 10, 64)
	return v
}

// knownAbsent reports whether token was looked for in the Store lately
// and not found.
func (c *challengeMiss) knownAbsent(token string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.negative[token]
	if ok && !c.clock.Now().Before(until) {
		delete(c.negative, token)
		return false
	}
	return ok
}

// absent remembers that the Store did not hold token.
func (c *challengeMiss) absent(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if len(c.negative) >= missNegativeMax {
		for t, until := range c.negative {
			if !now.Before(until) {
				delete(c.negative, t)
			}
		}
		if len(c.negative) >= missNegativeMax {
			return // full of fresh misses: reads stay bounded by the interval
		}
	}
	c.negative[token] = now.Add(missNegativeTTL)
}

// missTokens is the TokenSource of the Manager's HTTP-01 handler: the
// serving cache, and the Store for a token the cache misses.
type missTokens struct {
	cache *serve.Cache
	miss  *challengeMiss
	// fetches is told of each answer served (challenge.Fetches; nil
	// pointer when the Manager has none).
	fetches fetchTeller
}

// fetchTeller is told of each HTTP-01 answer the handler serves.
type fetchTeller interface{ Served(token string) }

var _ serve.TokenFinder = missTokens{}

func (t missTokens) KeyAuthorization(token string) (keyAuth, identifier string, ok bool) {
	keyAuth, identifier, ok = t.cache.KeyAuthorization(token)
	if ok {
		// The handler may still refuse it (a Host that is not the
		// challenge's), which a CA's validation does not send.
		t.fetches.Served(token)
	}
	return keyAuth, identifier, ok
}

// FindKeyAuthorization reads the Store for a token the cache does not
// hold (the handler asks only for well-formed tokens), when host is a name
// of a Certificate whose issuance is under way: no other validation can
// be real.
func (t missTokens) FindKeyAuthorization(ctx context.Context, host, token string) (keyAuth, identifier string, ok bool) {
	if !t.miss.gate.mayBeReal(host) || t.miss.knownAbsent(token) {
		return "", "", false
	}
	if t.miss.refresh(ctx) != nil {
		return "", "", false
	}
	keyAuth, identifier, ok = t.cache.KeyAuthorization(token)
	if !ok {
		t.miss.absent(token)
	} else {
		t.fetches.Served(token)
	}
	return keyAuth, identifier, ok
}

// challengeCertificate answers an acme-tls/1 hello the cache missed
// (miss wraps serve.ErrNoChallenge) from the Store's Challenges, when it
// names a Certificate whose issuance is under way. Names are not secret,
// so no miss is remembered: reads stay bounded by the gate and the
// interval.
func (c *challengeMiss) challengeCertificate(cache *serve.Cache, hello *tls.ClientHelloInfo, miss error) (*tls.Certificate, error) {
	if !c.gate.mayBeReal(helloName(hello)) {
		return nil, miss
	}
	ctx := hello.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := c.refresh(ctx); err != nil {
		return nil, errors.Join(miss, err)
	}
	return cache.GetCertificate(hello)
}
