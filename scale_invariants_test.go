package certflow

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// TestScaleInvariants is the CI-sized run of cmd/scale (issue 11): many
// Certificates issued by a CA Issuer on a fake clock. Every name is served
// when its WaitReady returns; then, with nothing due, the Manager makes no
// Store call at all while the clock steps through every deadline armed
// until the issuance's events age out (EventMaxAge), nor in the 25 days after
// they did; a Manager restarted on the same Store serves every name,
// writes nothing and lists the Store once, and is just as quiet for 25
// more days (renewals fall from day 57 on).
func TestScaleInvariants(t *testing.T) {
	t.Parallel()
	n := 2000
	if raceEnabled {
		n = 1000
	}
	ctx := testrig.ContextAtLeast(t, 4*time.Minute)
	clk := clock.NewFake(time.Now())
	raw := memory.New(memory.WithClock(clk))
	sentinel := &budgetSentinel{ObjectMeta: meta.ObjectMeta{Namespace: "quiet", Name: "sentinel"}}
	require.NoError(t, raw.Create(ctx, sentinel))

	r := startQuietRig(t, ctx, raw, clk, sentinel)
	const ns = "scale"
	require.NoError(t, r.m.Apply(ctx, testrig.CASecret(t, ns, "ca-key", clk.Now())))
	require.NoError(t, r.m.Apply(ctx, testrig.CAIssuer(ns, "ca", "ca-key")))
	names := make([]string, n)
	var wg sync.WaitGroup
	var unserved, failed atomic.Int64
	for i := range names {
		names[i] = fmt.Sprintf("c%d.scale.test", i)
		ref := testrig.CertRef(ns, fmt.Sprintf("c%d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.m.WaitReady(ctx, ref); err != nil {
				failed.Add(1)
			} else if !quietServes(r.m, names[i]) {
				unserved.Add(1)
			}
		}()
	}
	for i := range names {
		c := testrig.Certificate(ns, fmt.Sprintf("c%d", i), "ca", names[i])
		c.Spec.Duration = &meta.Duration{Duration: 90 * 24 * time.Hour}
		require.NoError(t, r.m.Apply(ctx, c))
	}
	wg.Wait()
	require.Zero(t, failed.Load(), "WaitReady calls that did not return nil")
	assert.Zero(t, unserved.Load(), "names not served when their WaitReady returned")

	r.settle()
	// The issuance's events are due to age out EventMaxAge after it:
	// nothing else is due before.
	ageOut := r.m.cfg.EventMaxAge
	r.assertQuiet(ageOut - ageOut/24)
	r.clk.Advance(ageOut / 12)
	r.settle()
	res, err := raw.List(ctx, store.ListOptions{Kind: meta.KindEvent})
	require.NoError(t, err)
	require.Empty(t, res.Items, "the issuance's events aged out")
	r.assertQuiet(quietWindow)
	assert.Equal(t, int64(1), r.counts.Counts().Of(storecount.FullList), "the Store listed more than once")
	r.stop()

	r = startQuietRig(t, ctx, raw, clk, sentinel)
	r.settle()
	for _, name := range names {
		require.True(t, quietServes(r.m, name), "%s not served after the restart", name)
	}
	calls := r.counts.Counts()
	assert.Zero(t, calls.Writes(), "writes after a restart with nothing due: %s", calls)
	assert.Equal(t, int64(1), calls.Of(storecount.FullList), "the Store listed more than once")
	r.assertQuiet(quietWindow)
}

// quietWindow is how long TestScaleInvariants watches each Manager: twice
// that stays before the first renewal of its 90-day certificates.
const quietWindow = 25 * 24 * time.Hour

// quietRig is a Manager on a counted Store and a fake clock, with the means
// to await its quiescence.
type quietRig struct {
	t        *testing.T
	ctx      context.Context
	raw      *memory.Store
	clk      *clock.Fake
	sentinel *budgetSentinel
	m        *Manager
	counts   *storecount.Store
	stop     func()

	watching atomic.Bool // record the calls made (while the clock steps)
	mu       sync.Mutex
	calls    []string
}

func startQuietRig(t *testing.T, ctx context.Context, raw *memory.Store, clk *clock.Fake, sentinel *budgetSentinel) *quietRig {
	return startQuietRigLogging(t, ctx, raw, clk, sentinel, nil)
}

// startQuietRigLogging is startQuietRig whose Manager logs to log (nil:
// nowhere).
func startQuietRigLogging(t *testing.T, ctx context.Context, raw *memory.Store, clk *clock.Fake, sentinel *budgetSentinel, log *slog.Logger) *quietRig {
	r := &quietRig{t: t, ctx: ctx, raw: raw, clk: clk, sentinel: sentinel}
	r.counts = storecount.New(raw, storecount.WithObserver(func(op storecount.Op, ref meta.Ref) {
		if !r.watching.Load() {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.calls) < 20 {
			r.calls = append(r.calls, fmt.Sprintf("%s %s at %s", op, ref, clk.Now().Format(time.RFC3339)))
		}
	}))
	m, err := New(Config{Store: r.counts, Clock: clk, Logger: log})
	require.NoError(t, err)
	r.m = m
	r.stop = testrig.Run(t, ctx, 10*time.Second, m.Run)
	return r
}

// settle returns once the Manager is quiescent: its watch has delivered
// every write (the sentinel, written after them, has been observed), no
// timer is due, nothing is queued or being reconciled, and its events
// writer has stored what was recorded and swept what aged.
func (r *quietRig) settle() {
	r.t.Helper()
	for range 1000 {
		if r.m.timers.pending(r.clk.Now()) {
			select {
			case <-r.m.timers.quiet(r.clk.Now()):
			case <-r.ctx.Done():
				r.t.Fatal("timed out waiting for the timers to hand over")
			}
			continue
		}
		select {
		case <-r.m.queue.idle():
		case <-r.ctx.Done():
			r.t.Fatal("timed out waiting for the work queue")
		}
		select {
		case <-r.m.events.writer.Quiet():
		case <-r.ctx.Done():
			r.t.Fatal("timed out waiting for the events writer")
		}
		rev := r.mark()
		if !r.m.timers.pending(r.clk.Now()) && r.m.queue.Len() == 0 && r.raw.Revision() == rev {
			return
		}
	}
	r.t.Fatal("never quiescent")
}

// mark writes the sentinel (around the counted Store) and waits until the
// Manager's watch delivered it (see markDelivered); it returns its revision.
func (r *quietRig) mark() uint64 {
	r.t.Helper()
	rev, ok := markDelivered(r.m.changes, meta.RefOf(r.sentinel), func() uint64 {
		r.sentinel.Seq++
		require.NoError(r.t, r.raw.Update(r.ctx, r.sentinel))
		rev, err := strconv.ParseUint(r.sentinel.ObjectMeta.ResourceVersion, 10, 64)
		require.NoError(r.t, err)
		return rev
	}, r.ctx.Done())
	if !ok {
		r.t.Fatal("timed out waiting for the watch to deliver the sentinel")
	}
	return rev
}

// assertQuiet moves the clock through every deadline armed within window,
// settling after each, and fails on any Store call the Manager makes.
func (r *quietRig) assertQuiet(window time.Duration) {
	r.t.Helper()
	before := r.counts.Counts()
	r.watching.Store(true)
	defer r.watching.Store(false)
	end := r.clk.Now().Add(window)
	steps := 0
	for ; steps < 10000; steps++ {
		next, ok := r.clk.NextDeadline()
		if at, armed := r.m.timers.earliest(); armed && (!ok || at.Before(next)) {
			next, ok = at, true
		}
		// Read from the writer, not its timer: it arms that only once its
		// goroutine comes round.
		if at := r.m.events.writer.NextSweep(); !at.IsZero() && (!ok || at.Before(next)) {
			next, ok = at, true
		}
		if !ok || next.After(end) {
			break
		}
		r.clk.Set(next)
		r.settle()
	}
	r.clk.Set(end)
	r.settle()
	calls := r.counts.Counts().Sub(before)
	r.mu.Lock()
	defer r.mu.Unlock()
	assert.Zero(r.t, calls.Total(), "Store calls over %v with nothing due (%d deadlines stepped through): %s; first: %q",
		window, steps, calls, r.calls)
}

// quietServes tells whether m serves name a certificate valid for it.
func quietServes(m *Manager, name string) bool {
	c, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: name})
	if err != nil {
		return false
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0]) // served certificates carry no parsed Leaf
	return err == nil && leaf.VerifyHostname(name) == nil
}
