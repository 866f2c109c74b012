package certflow

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// The budget simulation (ISSUE7 §3): a Manager with default backoff settings
// and a fake clock runs against acmetest for days of simulated time, and
// everything the CA saw is counted per name against Let's Encrypt's
// published limits.
//
// The driver alternates two moves until the simulated span has passed:
//
//  1. settle: wait, through channels, until the system is quiescent — the
//     Manager's Store watch has delivered every write (a sentinel object of a
//     kind no reconciler knows is written and its observation awaited; watch
//     events arrive in order), the timer heap has handed every due entry to
//     the work queue, nothing is queued or being reconciled, no write
//     happened since the sentinel, and the CA has no validation in flight;
//  2. jump the fake clock to the earliest deadline anyone armed (the
//     Manager's timer heap or any other fake-clock timer), never further.
//
// Pebble validates challenges in real time, asynchronously, while the fake
// clock drives the Manager's polls and the Order timeout (10 minutes). The
// driver never moves the clock while Pebble is validating
// (acmetest.Server.AwaitValidations, the one place that polls, inside
// acmetest, because Pebble tells nobody when it is done). Once validation is
// over, Pebble's state is frozen until the Manager talks to it again, so a
// jump to the next deadline — however far — cannot time out an order that
// the CA is still working on: the simulation is exact, not a race.
// Time-based behaviour inside Pebble (order and authorization expiry, the
// leaf's validity) stays in real time; the fake clock starts at the real
// time so issued leaves are valid, and the 90-day leaves never reach their
// renewal time within 7 simulated days.

// budgetDaysEnv makes TestBudget simulate that many days instead of the
// default (see budgetDays).
const budgetDaysEnv = "CERTFLOW_BUDGET_DAYS"

// defaultBudgetDays is how many days TestBudget simulates unless
// CERTFLOW_BUDGET_DAYS says otherwise: the 7 the issue asks for. A scenario
// whose Manager reconciles without waiting in real time simulates 7 days in
// about a second; one that cannot finish within the real-time budget
// (defaultBudgetReal) stops there and fails.
const defaultBudgetDays = 7

func budgetDays(t *testing.T) int {
	t.Helper()
	v := os.Getenv(budgetDaysEnv)
	if v == "" {
		return defaultBudgetDays
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s", budgetDaysEnv)
	require.Positive(t, n, "%s", budgetDaysEnv)
	return n
}

// Let's Encrypt's published rate limits (letsencrypt.org/docs/rate-limits).
var budgetLimits = struct {
	certsPerExactSet, certsPerExactSetWindow           int
	failedAuthzPerIdentifier, failedAuthzWindow        int
	newOrdersPerAccount, newOrdersWindow               int
	certsPerRegisteredDomain, certsPerRegisteredWindow int
}{
	certsPerExactSet: 5, certsPerExactSetWindow: 7 * 24,
	failedAuthzPerIdentifier: 5, failedAuthzWindow: 1,
	newOrdersPerAccount: 300, newOrdersWindow: 3,
	certsPerRegisteredDomain: 50, certsPerRegisteredWindow: 7 * 24,
}

// budgetRealEnv bounds the real time one scenario may take (a Go
// duration); defaultBudgetReal unless set.
const budgetRealEnv = "CERTFLOW_BUDGET_REAL"

// defaultBudgetReal is the real time one scenario may take (the scenarios
// run in parallel; startACME's 60 s deadline caps any setting). A Manager
// that waits in real time inside a reconcile (x/crypto/acme's inline
// retries of a 5xx: 0.25+0.5+1 s per pass today) cannot be simulated faster
// than it waits; such a scenario stops there, is judged on what it did so
// far, and fails, since 7 days could not be shown to stay inside the limits.
const defaultBudgetReal = 30 * time.Second

func budgetReal(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv(budgetRealEnv)
	if v == "" {
		return defaultBudgetReal
	}
	d, err := time.ParseDuration(v)
	require.NoError(t, err, "%s", budgetRealEnv)
	return d
}

// budgetLogEnv, if set, sends the Manager's log to the test log.
const budgetLogEnv = "CERTFLOW_BUDGET_LOG"

type budgetLogWriter struct{ t *testing.T }

func (w budgetLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// budgetSentinelKind is a kind no reconciler knows: writing it costs the
// Manager nothing but an observed watch event.
const budgetSentinelKind meta.Kind = "BudgetSentinel"

type budgetSentinel struct {
	ObjectMeta meta.ObjectMeta `json:"metadata"`
	Seq        int             `json:"seq"`
}

func (*budgetSentinel) GetKind() meta.Kind          { return budgetSentinelKind }
func (s *budgetSentinel) GetMeta() *meta.ObjectMeta { return &s.ObjectMeta }

// budgetEvent is one thing the CA did, stamped with the simulated time.
type budgetEvent struct {
	at    time.Time
	names []string // lower-cased, sorted identifiers
	// status is the HTTP status of a newOrder request.
	status int
}

// budgetLedger is what the CA saw, per kind of event.
type budgetLedger struct {
	newOrderRequests []budgetEvent // every newOrder POST, whatever the answer
	ordersCreated    []budgetEvent
	failedAuthzs     []budgetEvent // one name each
	certificates     []budgetEvent
}

type budgetSim struct {
	t   *testing.T
	h   *acmeHarness
	clk *clock.Fake
	// waiting says what settle waits for, named when the budget runs out.
	waiting string
	st      *memory.Store

	sentinel *budgetSentinel
	certRef  meta.Ref // shown when the simulation fails
	// real bounds the real time of the simulation; expired is set when
	// it ran out.
	real    context.Context
	expired bool
	start   time.Time
	steps   int

	ledger        budgetLedger
	seenNewOrders int
	seenInvalid   map[string]bool // authorization IDs counted as failed
	seenIssued    map[string]bool // order IDs counted as issued
	seenOrders    map[string]bool // order IDs counted as created
}

// budgetSetup describes a scenario's CA and certificate.
type budgetSetup struct {
	acmeOpts []acmetest.Option
	httpWrap func(http.Handler) http.Handler
}

// startBudget runs a Manager with default backoff settings and a fake
// clock (shared with a memory Store) against acmetest.
func startBudget(t *testing.T, setup budgetSetup) *budgetSim {
	t.Helper()
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	st := memory.New(memory.WithClock(clk))
	h := startACME(t, acmeSetup{
		acmeOpts: setup.acmeOpts,
		httpWrap: setup.httpWrap,
		store:    st,
		config: func(c *Config) {
			c.Clock = clk
			// The defaults are what is judged: undo the harness's BackoffMin.
			c.BackoffMin, c.BackoffMax = 0, 0
			if os.Getenv(budgetLogEnv) != "" {
				c.Logger = slog.New(slog.NewTextHandler(budgetLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
		},
	})
	s := &budgetSim{t: t, h: h, clk: clk, st: st, start: clk.Now(),
		seenInvalid: map[string]bool{}, seenIssued: map[string]bool{}, seenOrders: map[string]bool{},
		sentinel: &budgetSentinel{ObjectMeta: meta.ObjectMeta{Namespace: "budget", Name: "sentinel"}}}
	require.NoError(t, st.Create(h.ctx, s.sentinel))
	real, cancel := context.WithTimeout(h.ctx, budgetReal(t))
	t.Cleanup(cancel)
	s.real = real
	return s
}

// issuerReady applies iss and waits until it is Ready. A worker wrote that,
// so the Manager's initial List is done and its watch delivers every later
// write: from here on, mark cannot miss the sentinel.
func (s *budgetSim) issuerReady(iss *issuer.Issuer) {
	s.t.Helper()
	require.NoError(s.t, s.h.m.Apply(s.h.ctx, iss))
	s.h.awaitStore("the issuer is Ready", func() bool {
		got := &issuer.Issuer{}
		require.NoError(s.t, s.st.Get(s.h.ctx, meta.RefOf(iss), got))
		return got.Status.Conditions.IsTrue(meta.ConditionReady)
	})
}

// maxBudgetSteps bounds the clock jumps of one simulation, so that a
// Manager that keeps arming short timers cannot spin forever. Today's
// Manager needs a few dozen jumps for 7 days; 50000 leaves room for a
// poll every 15 s of simulated time throughout.
const maxBudgetSteps = 50000

// run simulates d from now: settle, count, jump to the next deadline. It
// returns early (with s.expired set) when the real-time budget runs out.
func (s *budgetSim) run(d time.Duration) {
	s.t.Helper()
	end := s.clk.Now().Add(d)
	for {
		if !s.settle() {
			s.expired = true
			s.dumpGoroutines()
			s.collect()
			return
		}
		s.collect()
		next, ok := s.nextDeadline()
		if !ok || next.After(end) {
			s.clk.Set(end)
			s.expired = !s.settle()
			s.collect()
			return
		}
		s.steps++
		if s.steps > maxBudgetSteps {
			s.t.Fatalf("more than %d clock jumps by %v of simulated time: the Manager keeps arming short timers",
				maxBudgetSteps, s.clk.Now().Sub(s.start))
		}
		s.clk.Set(next)
	}
}

// dumpGoroutines logs where every goroutine waits when the real-time budget
// ran out, so a stall names its cause.
func (s *budgetSim) dumpGoroutines() {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	s.t.Logf("waiting for %s when the real-time budget ran out; goroutines:\n%s", s.waiting, b.String())
}

// nextDeadline is the earliest deadline armed on the fake clock or in the
// Manager's timer heap (whose goroutine may not have re-armed its clock
// timer yet after the last Schedule).
func (s *budgetSim) nextDeadline() (time.Time, bool) {
	next, ok := s.clk.NextDeadline()
	if at, ok2 := s.h.m.timers.earliest(); ok2 && (!ok || at.Before(next)) {
		next, ok = at, true
	}
	if ok && next.Before(s.clk.Now()) {
		next = s.clk.Now()
	}
	return next, ok
}

// maxSettleRounds bounds one settle; each round waits for progress.
const maxSettleRounds = 10000

// settle blocks until the Manager and the CA are quiescent (see the comment
// at the top of this file) and returns true, or returns false when the
// real-time budget ran out. It never sleeps: every wait is on a channel that
// a change closes.
func (s *budgetSim) settle() bool {
	s.t.Helper()
	ctx := s.real
	for range maxSettleRounds {
		s.waiting = "Pebble's validations"
		if err := s.h.acme.AwaitValidations(ctx); err != nil {
			return false
		}
		if s.h.m.timers.pending(s.clk.Now()) {
			s.waiting = "the timer heap to hand over due entries"
			select {
			case <-s.h.m.timers.quiet(s.clk.Now()):
			case <-ctx.Done():
				return false
			}
			continue
		}
		s.waiting = "the work queue to be idle"
		select {
		case <-s.h.m.queue.idle():
		case <-ctx.Done():
			return false
		}
		s.waiting = "the Manager's watch to deliver the sentinel"
		rev, ok := s.mark()
		if !ok {
			return false
		}
		if s.h.m.timers.pending(s.clk.Now()) || s.h.m.queue.Len() > 0 || s.st.Revision() != rev || s.caValidating() {
			continue
		}
		return true
	}
	s.fatalf("no quiescence after %d rounds", maxSettleRounds)
	return false
}

// mark writes the sentinel and waits until the Manager's watch delivered
// it, so every earlier write has been observed (and queued what it
// queues). It returns the sentinel's revision, or false when the real-time
// budget ran out.
func (s *budgetSim) mark() (uint64, bool) {
	s.t.Helper()
	return markDelivered(s.h.m.changes, meta.RefOf(s.sentinel), func() uint64 {
		s.sentinel.Seq++
		require.NoError(s.t, s.st.Update(s.h.ctx, s.sentinel))
		rev, err := strconv.ParseUint(s.sentinel.ObjectMeta.ResourceVersion, 10, 64)
		require.NoError(s.t, err)
		return rev
	}, s.real.Done())
}

func (s *budgetSim) caValidating() bool {
	for _, o := range s.h.acme.Orders(s.h.ctx) {
		for _, a := range o.Authorizations {
			if a.Validating {
				return true
			}
		}
	}
	return false
}

// collect stamps with the current simulated time whatever the CA did since
// the last collect. The clock only moves between settle and collect, so an
// event seen now happened at now.
func (s *budgetSim) collect() {
	now := s.clk.Now()
	reqs := s.h.acme.NewOrders()
	for _, r := range reqs[s.seenNewOrders:] {
		s.ledger.newOrderRequests = append(s.ledger.newOrderRequests, budgetEvent{at: now, names: normNames(r.Identifiers), status: r.Status})
	}
	s.seenNewOrders = len(reqs)
	for _, o := range s.h.acme.Orders(s.h.ctx) {
		if !s.seenOrders[o.ID] {
			s.seenOrders[o.ID] = true
			s.ledger.ordersCreated = append(s.ledger.ordersCreated, budgetEvent{at: now, names: normNames(o.Identifiers)})
		}
		for _, a := range o.Authorizations {
			if a.Status == "invalid" && !s.seenInvalid[a.ID] {
				s.seenInvalid[a.ID] = true
				s.ledger.failedAuthzs = append(s.ledger.failedAuthzs, budgetEvent{at: now, names: normNames([]string{a.Identifier})})
			}
		}
		if o.Certificate != nil && !s.seenIssued[o.ID] {
			s.seenIssued[o.ID] = true
			s.ledger.certificates = append(s.ledger.certificates, budgetEvent{at: now, names: normNames(o.Identifiers)})
		}
	}
}

func (s *budgetSim) fatalf(format string, args ...any) {
	s.t.Helper()
	st := ""
	if tree, err := s.h.m.Status(context.Background(), s.certRef); err == nil && tree != nil {
		st = tree.String()
	}
	s.t.Fatalf("after %v simulated (%d steps): %s\n%s", s.clk.Now().Sub(s.start), s.steps, fmt.Sprintf(format, args...), st)
}

func normNames(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.ToLower(strings.TrimSuffix(n, ".")))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// registeredDomain approximates the Public Suffix List with the last two
// labels, which is right for the test names (under .test).
func registeredDomain(name string) string {
	labels := strings.Split(strings.TrimPrefix(name, "*."), ".")
	if len(labels) <= 2 {
		return strings.Join(labels, ".")
	}
	return strings.Join(labels[len(labels)-2:], ".")
}

// windowMax returns the most events in any window of length w (events at
// t and t+w are in different windows, as for a limit "per w").
func windowMax(events []budgetEvent, w time.Duration) (int, time.Time) {
	times := make([]time.Time, len(events))
	for i, e := range events {
		times[i] = e.at
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	best, at, lo := 0, time.Time{}, 0
	for hi := range times {
		for !times[hi].Before(times[lo].Add(w)) {
			lo++
		}
		if n := hi - lo + 1; n > best {
			best, at = n, times[lo]
		}
	}
	return best, at
}

// groupBy splits events by a key computed from their names; an event with
// several names under one key (per name) is counted once per key.
func groupBy(events []budgetEvent, keys func(names []string) []string) map[string][]budgetEvent {
	out := map[string][]budgetEvent{}
	for _, e := range events {
		for _, k := range slices.Compact(keys(e.names)) {
			out[k] = append(out[k], e)
		}
	}
	return out
}

func exactSet(names []string) []string { return []string{strings.Join(names, ",")} }
func eachName(names []string) []string { return names }
func regDomains(names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, registeredDomain(n))
	}
	sort.Strings(out)
	return out
}

// budgetReport logs what the CA saw during the simulation and checks every
// sliding window against Let's Encrypt's limits.
func (s *budgetSim) check() {
	t := s.t
	t.Helper()
	l := s.ledger
	span := s.clk.Now().Sub(s.start)
	if s.expired {
		t.Errorf("only %v of simulated time passed within the real-time budget of %v (%s): the Manager waits in real time inside reconciles (inner retries: %d finalize, %d newOrder requests)",
			span, budgetReal(t), budgetRealEnv, s.h.acme.Requests(acmetest.EndpointFinalize), s.h.acme.Requests(acmetest.EndpointNewOrder))
	}
	t.Logf("simulated %v in %d clock jumps: newOrder requests %d (answered 201: %d), orders created %d, failed authorizations %d, certificates %d; requests: finalize %d, challenge %d, order %d",
		span, s.steps, len(l.newOrderRequests), count201(l.newOrderRequests), len(l.ordersCreated), len(l.failedAuthzs), len(l.certificates),
		s.h.acme.Requests(acmetest.EndpointFinalize), s.h.acme.Requests(acmetest.EndpointChallenge), s.h.acme.Requests(acmetest.EndpointOrder))

	check := func(what string, events []budgetEvent, keys func([]string) []string, limit int, window time.Duration) {
		t.Helper()
		groups := groupBy(events, keys)
		names := make([]string, 0, len(groups))
		for k := range groups {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			n, at := windowMax(groups[k], window)
			t.Logf("  %s %q: %d in total, at most %d in any %v (limit %d)", what, k, len(groups[k]), n, window, limit)
			if n > limit {
				t.Errorf("%s %q: %d within %v from %v (+%v simulated); Let's Encrypt allows %d",
					what, k, n, window, at.Format(time.RFC3339), at.Sub(s.start), limit)
			}
		}
	}
	lim := budgetLimits
	all := func([]string) []string { return []string{"account"} }
	check("newOrder requests per account", l.newOrderRequests, all, lim.newOrdersPerAccount, time.Duration(lim.newOrdersWindow)*time.Hour)
	check("orders per name", l.ordersCreated, eachName, lim.newOrdersPerAccount, time.Duration(lim.newOrdersWindow)*time.Hour)
	check("failed authorizations per identifier", l.failedAuthzs, eachName, lim.failedAuthzPerIdentifier, time.Duration(lim.failedAuthzWindow)*time.Hour)
	check("certificates per exact set", l.certificates, exactSet, lim.certsPerExactSet, time.Duration(lim.certsPerExactSetWindow)*time.Hour)
	check("certificates per registered domain", l.certificates, regDomains, lim.certsPerRegisteredDomain, time.Duration(lim.certsPerRegisteredWindow)*time.Hour)
}

func count201(events []budgetEvent) int {
	n := 0
	for _, e := range events {
		if e.status == http.StatusCreated {
			n++
		}
	}
	return n
}
