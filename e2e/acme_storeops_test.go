package e2e

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// The Store calls a Manager makes to issue one certificate for one name
// over ACME (HTTP-01), derived from the steps of the protocol and what
// each step must read and write, so that a redundant call (a parent read
// again per child, a version check decoding the whole object, a waiter
// reading again what it read) fails the test instead of costing CPU
// unnoticed. Visits are counted too: reads are bounded per visit, since
// how often a Challenge is polled depends on timing.
//
// Writes, exactly:
//
//	create  Certificate 1 (Apply), Secret 2 (next key, then the issued
//	        certificate), CertificateRequest 1, Order 1, Challenge 1
//	update  Certificate 2: Issuing (visit 1), Ready (visit 2)
//	        CertificateRequest 3: approved; its Order's pending state;
//	        the issued chain
//	        Order 4: newOrder's URL; its authorizations (and the Challenge
//	        created); the intent to finalize; finalize's outcome
//	        Challenge 4: presented; the intent to accept (before the
//	        POST); the accept's outcome; valid
//	delete  Challenge 1 (the valid Order cleans up), Secret 1 (next key)
//	claims  3 acquired and released: newOrder, accept, finalize
//
// Full reads (Get) by the visits and the caller, at most, each object
// once per visit that needs it:
//
//	Certificate  1 per certificate visit; Apply's 1; WaitReady's one per
//	             version it can see (created, Issuing, Ready: 3; usually 1,
//	             as the Manager's write of Issuing, which cannot end the
//	             wait, wakes it no more, and its write of Ready answers the
//	             wait unread; the watch delivering a version before the
//	             write that made it woke the waiter still costs a read); and
//	             this test's read of the Ready Certificate (h.issue)
//	Request      1 per request visit and 1 per certificate visit
//	Order        1 per order and challenge (its owner's state) visit, and
//	             per request visit but the first (approval comes before the
//	             Order)
//	Challenge    1 per challenge visit
//	Secret       2 per certificate visit (its Secret, its next key); 3
//	             per issuer visit (the account key, its copy, the copy
//	             saved again)
//	Issuer       1 per request, order and challenge visit, and the issued
//	             certificate's renewal-info check; 1 per issuer visit
//
// The watch reads a change it delivers when no write recorded it first
// (the serving cache's, the owner views'): how often depends on how far
// behind it runs, but never more than once per change this Manager made.
//
// Metadata reads (GetMeta): every version compare and owner check, which
// need no more (a Get there fails the lower bounds):
//
//	Certificate  before storing the issued Secret 1; the top of the owner
//	             walk under the claims of newOrder, accept, finalize 3;
//	             the accept's walk again when its self-check outlasted
//	             ownersTrustedFor ≤ 1; the collector's check of a request's
//	             owner the watch has not shown yet ≤ 1 per request visit
//	Request      before creating the Order 1; the walks 3 (+≤ 1 again);
//	             the collector's check of an Order's owner the watch has
//	             not shown yet ≤ 1 per order visit
//	Order        under the claims of newOrder and finalize 2; the
//	             accept's walk 1 (+≤ 1 again); the collector's check of a
//	             Challenge's owner ≤ 1 per challenge visit; none before
//	             deleting the Challenge: a valid Order is final, and the
//	             delete names the Challenge's version (reconcile.Plan.Final)
//	Challenge    none: the accept's first act under its claim is the
//	             write of its intent, which fails on a moved Challenge as
//	             the version check did (reconcile.Effect.WritesFirst)
//
// Lists: the Order's Challenges, at most twice per order visit (as loaded,
// and again after the step that made it valid or read its
// authorizations), but none in the visit that opened the order (an Order
// loaded without an ACME order URL has no Challenges: order.advance), and
// once in the visit that made it valid (the Challenges it loaded were
// settled, valid and cleaned up in one write, so they are not listed
// again: order.stillSettled); 2 × (visits − 2 per Order) + 1 per Order.
// Events are the event writer's and not counted here.
func TestACME_StoreOpsPerCertificate(t *testing.T) {
	const n = 4
	st := newOpCounter(memory.New())
	h := startACME(t, acmeSetup{store: st.store})
	iss := h.acme.Issuer("default", "acme")
	require.NoError(t, h.m.Apply(h.ctx, iss))
	waitFor(h, meta.RefOf(iss), "issuer Ready",
		func(i *issuer.Issuer) bool { return i.Status.Conditions.IsTrue(meta.ConditionReady) })
	// A first certificate lets the issuer's setup (its registration, the
	// watch delivering its writes) finish before counting starts.
	issue := func(name string) {
		h.issue(nil, testrig.ACMECertificate("default", name, "acme", name+".example.test"))
		// Done once its next key and its Challenge are gone, the last
		// writes (either may come last).
		for range 2 {
			select {
			case <-st.cleanedUp:
			case <-h.ctx.Done():
				t.Fatalf("%s: next key or Challenge never deleted", name)
			}
		}
	}
	issue("warm-up")
	before := reconciles(t, h.m)
	st.reset()
	for i := range n {
		issue(fmt.Sprintf("ops-%d", i))
	}
	ops := st.take()
	after := reconciles(t, h.m)
	visit := func(controller string) int { return int(after[controller] - before[controller]) }
	vc, vr, vo, vh, vi := visit("certificates"), visit("certificaterequests"), visit("orders"), visit("challenges"), visit("issuers")
	t.Logf("visits: certificates %d, requests %d, orders %d, challenges %d, issuers %d; ops: %v", vc, vr, vo, vh, vi, ops)

	assert.Equal(t, 2*n, vc, "certificate visits: decide to issue, store what was issued")
	assert.Equal(t, 3*n, vr, "request visits: approve and create the Order, mirror it pending, store the chain")
	// Created (newOrder, authorizations), ready (finalize); and a poll
	// when finalize answers processing.
	assert.GreaterOrEqual(t, vo, 2*n, "order visits")
	assert.LessOrEqual(t, vo, 3*n, "order visits")

	exact := map[string]int{
		"create Certificate": n, "create Secret": 2 * n, "create CertificateRequest": n, "create Order": n, "create Challenge": n,
		"update Certificate": 2 * n, "update CertificateRequest": 3 * n, "update Order": 4 * n, "update Challenge": 4 * n,
		"delete Challenge": n, "delete Secret": n, "acquire": 3 * n, "release": 3 * n,
	}
	for op, want := range exact {
		assert.Equal(t, want, ops[op], "%s: %d per certificate", op, want/n)
	}
	atMost := map[string]int{
		"get Certificate":             vc + n*(1+3+1),
		"get CertificateRequest":      vr + vc,
		"get Order":                   vo + vh + vr - n,
		"get Challenge":               vh,
		"get Secret":                  2*vc + 3*vi,
		"get Issuer":                  vr + vo + vh + n + vi,
		"get-meta Certificate":        5*n + vr,
		"get-meta CertificateRequest": 5*n + vo,
		"get-meta Order":              4*n + vh,
		"list":                        2*(vo-2*n) + n,
	}
	for op := range ops {
		if _, kind, ok := strings.Cut(op, "watch get"); ok {
			kind = strings.TrimPrefix(strings.TrimPrefix(kind, "-meta"), " ")
			atMost[op] = ops["create "+kind] + ops["update "+kind] + ops["delete "+kind]
		}
	}
	for op, most := range atMost {
		assert.LessOrEqual(t, ops[op], most, "%s", op)
	}
	atLeast := map[string]int{
		"get-meta Certificate": 4 * n, "get-meta CertificateRequest": 4 * n, "get-meta Order": 3 * n,
	}
	for op, least := range atLeast {
		assert.GreaterOrEqual(t, ops[op], least, "%s: version and owner checks read metadata only", op)
	}
	// Events are the writer's; an issuer's and a Secret's metadata are read
	// by the collector's check of what they own (account key copies).
	known := map[string]bool{"create Event": true, "delete Event": true, "get-meta Issuer": true, "get-meta Secret": true}
	for op := range ops {
		if _, ok := exact[op]; !ok && atMost[op] == 0 && !known[op] {
			t.Errorf("%s: %d calls no protocol step accounts for", op, ops[op])
		}
	}
}

// opCounter counts Store calls by operation and kind ("get Order"), and
// says when a Secret (a next key) or a Challenge is deleted.
type opCounter struct {
	store     *storecount.Store
	cleanedUp chan struct{}
	mu        sync.Mutex
	ops       map[string]int
}

func newOpCounter(inner *memory.Store) *opCounter {
	c := &opCounter{cleanedUp: make(chan struct{}, 64), ops: map[string]int{}}
	c.store = storecount.New(inner, storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		key := op.String()
		if (op == storecount.Get || op == storecount.GetMeta) && onWatch() {
			key = "watch " + key
		}
		if ref.Kind != "" {
			key += " " + string(ref.Kind)
		}
		c.mu.Lock()
		c.ops[key]++
		c.mu.Unlock()
		if op == storecount.Delete && (ref.Kind == meta.KindSecret || ref.Kind == meta.KindChallenge) {
			c.cleanedUp <- struct{}{}
		}
	}))
	return c
}

// onWatch reports whether the caller runs on the Manager's watch
// goroutine: what it reads depends on how far behind the watch is, not on
// the protocol.
func onWatch() bool {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		if f.Function == "github.com/certflow/certflow.(*Manager).watch" {
			return true
		}
		if !more {
			return false
		}
	}
}

func (c *opCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.ops)
	for len(c.cleanedUp) > 0 {
		<-c.cleanedUp
	}
}

func (c *opCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.ops))
	for k, v := range c.ops {
		out[k] = v
	}
	return out
}
