package events

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Defaults of Options. DefaultMaxAge is kube-apiserver's default
// --event-ttl: a Manager left idle holds no events an hour later.
//
// DefaultMaxPending is half a second of the events of 2,000 issuances a
// second (some 8,000 events a second): on two busy cores the writer's
// goroutine, runnable, waited up to 150 ms to be run (the 99th percentile
// of the gaps between its flushes in cmd/scale -n 30000), and 1,024 (as
// client-go's queue of 1,000) is 128 ms of them. At most ~3 MiB of pending
// events (752 bytes each), held only while a backlog lasts: what a flush
// keeps for the next is bounded apart (reuseSpare).
const (
	DefaultPerObject  = 20
	DefaultMaxAge     = time.Hour
	DefaultMaxPending = 4096
)

// flushTimeout bounds writing, once Run's context ends, the batch under
// way and what is still pending, so a Manager's last events are stored but
// a dead Store cannot hold its shutdown.
const flushTimeout = 2 * time.Second

// warnEvery spaces the warnings about events the Store did not take.
const warnEvery = time.Minute

// Options configure a Writer. Store is required.
type Options struct {
	Store store.Store
	// Clock stamps events and ages them. If nil, clock.Real.
	Clock clock.Clock
	// Log gets a warning when events are lost. If nil, nothing is logged.
	Log *slog.Logger
	// PerObject bounds the events kept per object; the oldest go first.
	// If zero, DefaultPerObject.
	PerObject int
	// MaxAge is how long an event is kept after it last happened. If
	// zero, DefaultMaxAge.
	MaxAge time.Duration
	// ClusterNamespace holds the events of cluster-scoped objects.
	ClusterNamespace string
	// Instance names this writer in ReportingInstance.
	Instance string
	// MaxPending bounds the distinct events waiting to be written; more
	// are dropped (and counted) rather than held. If zero, DefaultMaxPending.
	MaxPending int
	// Window is how long a batch gathers events before Run writes it
	// (window.go). If zero, DefaultWindow.
	Window time.Duration
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.PerObject <= 0 {
		o.PerObject = DefaultPerObject
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	return o
}

// Writer stores events off the caller's path. Record never blocks on the
// Store; Run writes. Its methods are safe for concurrent use.
type Writer struct {
	o Options
	// wake asks Run to write now (Sync, Quiet, a full batch, a listing);
	// window ends a batch's gathering time (window.go).
	wake   chan struct{}
	window *time.Timer
	// flushing serialises flushes (Run's and Sync's), so stored only
	// counts what was written.
	flushing sync.Mutex

	mu       sync.Mutex
	batch    []*pending
	byKey    map[eventKey]*pending
	warnedAt time.Time
	// exp is when each Event this writer knows of passes MaxAge: Run
	// deletes it then. resweep, if set, is when Run lists every Event
	// again, because the last full sweep failed.
	exp     expiries
	resweep time.Time
	// writing counts the events flush took and has not finished writing;
	// sweeping and expiring are set while a sweep or an expiry runs;
	// quietCh is closed once the writer is quiet (see Quiet).
	writing  int
	sweeping bool
	expiring bool
	quietCh  chan struct{}
	// recorded counts the occurrences Record kept; stored is how many of
	// them the flushes that finished covered (written, or lost);
	// storedCh is closed when stored grows. running is set while Run runs.
	recorded, stored uint64
	storedCh         chan struct{}
	// askedUpTo is recorded as it was when a reader or a full batch last
	// asked Run to write now; takenUpTo, as it was when a flush last took
	// the batch. Run's wake flushes only while askedUpTo > takenUpTo: a
	// wake for a handed-over list or an earlier expiry must not cut the
	// window short (a Challenge's events written then would be written
	// just before its Order deletes it, instead of dropped with it: Gone).
	askedUpTo, takenUpTo uint64
	running              bool
	// listed is read from a list of the Store the writer's owner took
	// (TakeListing), for the next sweep to use instead of listing
	// every Event itself.
	listed *Listing

	memo memo
	// scratch is writeAll's, guarded by flushing.
	scratch scratch

	// spare is the array of the last batch written, emptied, for the next
	// batch: a flush per burst of one or two events otherwise allocated a
	// slice and a map each time (see reuseSpare). Guarded by mu.
	spare []*pending
	// free holds pendings written by the last flushes, for Record to fill
	// again: a pending is 752 bytes (the Event and the Event as created),
	// a dozen of them an issuance. Guarded by mu.
	free []*pending

	dropped, failed atomic.Uint64
}

// pending is an event waiting to be written, with every occurrence since
// the last write folded in. ref, its Event's name, is derived when it is
// written, off the recorder's path.
type pending struct {
	ref meta.Ref
	ev  meta.Event
	// out and owner hold the Event as created (newEvent), so that writing
	// it allocates neither: the Store copies what it is given.
	out   meta.Event
	owner [1]meta.Ref
	// seq is Mark's reading just after its latest occurrence (Gone).
	seq uint64
}

// eventKey is what makes two occurrences one event (Ref hashes the same).
type eventKey struct {
	obj     meta.Ref
	typ     meta.EventType
	reason  meta.Reason
	message string
}

// NewWriter returns a Writer; it writes nothing until Run.
func NewWriter(o Options) *Writer {
	return &Writer{o: o.withDefaults(), wake: make(chan struct{}, 1), window: stoppedTimer(),
		byKey: map[eventKey]*pending{}}
}

// Record notes that (typ, reason, message) happened to obj now. An event
// already waiting to be written counts one more; a new one is dropped
// (Dropped counts it) when MaxPending events already wait. It reports
// whether the event was kept. It only takes a lock and a map lookup: the
// Event's name is hashed and the Store written on Run's goroutine, with
// the rest of its batch (window.go).
func (w *Writer) Record(obj meta.Ref, typ meta.EventType, reason meta.Reason, message string) bool {
	now := w.o.Clock.Now()
	key := eventKey{obj: obj, typ: typ, reason: reason, message: message}
	w.mu.Lock()
	if p := w.byKey[key]; p != nil {
		p.ev.Count++
		p.ev.Time = now
		w.recorded++
		p.seq = w.recorded
		w.askIfAwaitedLocked()
		w.mu.Unlock()
		return true
	}
	if len(w.batch) >= w.o.MaxPending {
		w.mu.Unlock()
		w.dropped.Add(1)
		return false
	}
	p := w.newPendingLocked()
	p.ev = meta.Event{Object: obj, Type: typ, Reason: reason, Message: message, FirstTime: now, Time: now, Count: 1}
	w.batch = append(w.batch, p)
	w.byKey[key] = p
	w.recorded++
	p.seq = w.recorded
	w.askIfAwaitedLocked()
	n := len(w.batch)
	w.mu.Unlock()
	w.gathered(n)
	return true
}

// newPendingLocked returns an empty pending, one a flush gave back if any.
func (w *Writer) newPendingLocked() *pending {
	if n := len(w.free); n > 0 {
		p := w.free[n-1]
		w.free[n-1] = nil
		w.free = w.free[:n-1]
		return p
	}
	return &pending{}
}

// askFlushLocked has Run write, when it next wakes, every event recorded
// so far.
func (w *Writer) askFlushLocked() {
	w.askedUpTo = w.recorded
	w.poke()
}

// askIfAwaitedLocked asks for a write of what was just recorded when a
// caller of Quiet waits: it waits for no event pending, so nothing may
// gather for the window meanwhile (an event recorded after Quiet was
// called, while Run still had a list to sweep, waited out the window).
func (w *Writer) askIfAwaitedLocked() {
	if w.quietCh != nil {
		w.askFlushLocked()
	}
}

// flushAsked reports whether an event was asked to be written now that no
// flush has taken yet.
func (w *Writer) flushAsked() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.askedUpTo > w.takenUpTo
}

// poke wakes Run.
func (w *Writer) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Write stores one occurrence of (typ, reason, message) on obj now, on the
// caller's goroutine: for an event a caller of the API caused, in a process
// that may never Run a Writer. An error is also counted in Dropped.
func (w *Writer) Write(ctx context.Context, obj meta.Ref, typ meta.EventType, reason meta.Reason, message string) error {
	now := w.o.Clock.Now()
	p := &pending{ev: meta.Event{Object: obj, Type: typ, Reason: reason, Message: message,
		FirstTime: now, Time: now, Count: 1}}
	if err := w.write(ctx, p); err != nil {
		w.failed.Add(1)
		w.warn("event not stored", 1, err)
		return err
	}
	return nil
}

// Dropped returns how many events were lost so far: not kept by Record,
// or not taken by the Store.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() + w.failed.Load() }

// Run writes recorded events until ctx ends, then writes what is still
// pending (for at most a few seconds) and returns. When it starts it lists
// every Event once, deleting those past MaxAge and noting when each of the
// others is; after that it deletes each Event it knows of (written, or
// found by that sweep) when it passes MaxAge, by name, without listing:
// with no event to age it reads nothing, however long nothing else
// happens. Events written by another process are deleted by that process,
// or by the sweep of the next to start.
func (w *Writer) Run(ctx context.Context) {
	w.setRunning(true)
	defer w.setRunning(false)
	// Writes outlive ctx by flushTimeout: a batch under way when ctx ends
	// is written whole (it holds up to batchFull events), and so is what
	// waits then, within the one bound.
	wctx, cancelWrites := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWrites()
	defer cancelAfterEnd(ctx, flushTimeout, cancelWrites)()
	w.sweep(ctx)
	var (
		t       clock.Timer
		fire    <-chan time.Time
		armedAt time.Time
	)
	defer func() {
		if t != nil {
			t.Stop()
		}
	}()
	for {
		if at := w.NextSweep(); !at.Equal(armedAt) || fire == nil && !at.IsZero() {
			if t != nil {
				t.Stop()
			}
			t, fire, armedAt = nil, nil, at
			if !at.IsZero() {
				t = clock.NewTimerAt(w.o.Clock, at)
				fire = t.C()
			}
		}
		select {
		case <-ctx.Done():
			w.flush(wctx)
			return
		case <-w.wake:
			if ctx.Err() == nil { // else the final flush writes them
				if w.hasListing() {
					w.sweep(ctx)
				}
				if w.flushAsked() {
					w.flush(wctx)
				}
			}
		case <-w.window.C:
			if ctx.Err() == nil {
				w.flush(wctx)
			}
		case <-fire:
			fire = nil
			if w.resweepDue() {
				w.sweep(ctx)
			} else {
				w.expire(ctx)
			}
		}
	}
}

// retrySweep has Run list every Event again at at.
func (w *Writer) retrySweep(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.resweep = at
}

// resweepDue reports whether a full sweep is due now.
func (w *Writer) resweepDue() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.resweep.IsZero() && !w.resweep.After(w.o.Clock.Now())
}

// NextSweep is when Run next deletes aged events: when the earliest event
// known passes MaxAge, or a failed sweep is retried. Zero if nothing is
// due, ever.
func (w *Writer) NextSweep() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.nextLocked()
}

func (w *Writer) nextLocked() time.Time {
	at := w.exp.next()
	if !w.resweep.IsZero() && (at.IsZero() || w.resweep.Before(at)) {
		at = w.resweep
	}
	return at
}

// expiry is when an event that last happened at t is past MaxAge: the
// first instant more than MaxAge after t, when a sweep deletes it.
func (w *Writer) expiry(t time.Time) time.Time { return t.Add(w.o.MaxAge + time.Nanosecond) }

// Pending returns how many distinct events are recorded but not yet
// stored (waiting or being written).
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.batch) + w.writing
}

// Quiet returns a channel closed once no event is pending or being
// written and no sweep is running, handed a list (TakeListing) or due at the
// clock's now (already
// closed if so now), so a test driving a fake clock can await the writer.
func (w *Writer) Quiet() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.quietLocked() {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	if w.quietCh == nil {
		w.quietCh = make(chan struct{})
	}
	if len(w.batch) > 0 {
		w.askFlushLocked() // the caller waits: no more gathering
	}
	return w.quietCh
}

func (w *Writer) quietLocked() bool {
	next := w.nextLocked()
	return len(w.batch) == 0 && w.writing == 0 && !w.sweeping && !w.expiring && w.listed == nil &&
		(next.IsZero() || next.After(w.o.Clock.Now()))
}

// Sync returns once every event recorded before the call is stored (or
// lost, as Dropped counts), so a reader of the Store sees what this
// process recorded: Status right after WaitReady shows the last events.
// While Run runs, Sync waits for it; otherwise Sync writes them itself,
// and those ctx leaves unwritten are lost. It returns ctx's error if ctx
// ends first.
func (w *Writer) Sync(ctx context.Context) error {
	w.mu.Lock()
	target := w.recorded
	for w.stored < target {
		if !w.running {
			w.mu.Unlock()
			if err := ctx.Err(); err != nil {
				return err
			}
			w.flush(ctx)
			w.mu.Lock()
			continue
		}
		if w.storedCh == nil {
			w.storedCh = make(chan struct{})
		}
		ch := w.storedCh
		w.askFlushLocked() // the reader waits: no more gathering
		w.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		w.mu.Lock()
	}
	w.mu.Unlock()
	return nil
}

// Running reports whether Run is running.
func (w *Writer) Running() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.running
}

func (w *Writer) setRunning(running bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running = running
	w.storedLocked(w.stored) // wake Sync callers: a stopped Run writes nothing more
}

// storedLocked notes that the occurrences up to upTo are stored and wakes
// Sync callers.
func (w *Writer) storedLocked(upTo uint64) {
	w.stored = max(w.stored, upTo)
	if w.storedCh != nil {
		close(w.storedCh)
		w.storedCh = nil
	}
}

// settledLocked closes quietCh if the writer is quiet.
func (w *Writer) settledLocked() {
	if w.quietCh != nil && w.quietLocked() {
		close(w.quietCh)
		w.quietCh = nil
	}
}

// reuseSpare bounds the batch array and key map a flush keeps for the next
// batch: enough for the bursts of an issuance, not the 1,024 entries a
// backlog may reach (Go maps never shrink).
const reuseSpare = 64

// flush writes every pending event. Flushes are serialised, so the batch
// it takes is its own until it hands the array back as w.spare.
func (w *Writer) flush(ctx context.Context) {
	w.flushing.Lock()
	defer w.flushing.Unlock()
	w.mu.Lock()
	batch := w.batch
	w.batch, w.spare = w.spare, nil
	if len(batch) > 0 {
		w.window.Stop() // this batch's: the next event opens the next
	}
	if len(w.byKey) <= reuseSpare {
		clear(w.byKey)
	} else {
		w.byKey = map[eventKey]*pending{}
	}
	w.writing += len(batch)
	upTo := w.recorded
	w.takenUpTo = upTo
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		// Written or lost, these events are done: nothing refers to their
		// pendings any more (the Store copied what it was given, byKey was
		// emptied above).
		for _, p := range batch {
			if len(w.free) >= reuseSpare {
				break
			}
			*p = pending{}
			w.free = append(w.free, p)
		}
		if cap(batch) <= reuseSpare {
			clear(batch)
			w.spare = batch[:0]
		}
		w.writing -= len(batch)
		w.storedLocked(upTo)
		w.settledLocked()
	}()
	lost, err := w.writeAll(ctx, batch)
	switch {
	case lost == 0:
	case ctx.Err() != nil:
		w.failed.Add(lost)
		w.warn("events not stored before shutdown", lost, err)
	default:
		w.failed.Add(lost)
		w.warn("events not stored", lost, err)
	}
}

// warn logs lost events at most once per warnEvery.
func (w *Writer) warn(msg string, n uint64, err error) {
	now := w.o.Clock.Now()
	w.mu.Lock()
	quiet := !w.warnedAt.IsZero() && now.Sub(w.warnedAt) < warnEvery
	if !quiet {
		w.warnedAt = now
	}
	w.mu.Unlock()
	if !quiet {
		w.o.Log.Warn(msg, "lost", n, "lost_total", w.Dropped(), meta.LogError, err)
	}
}
