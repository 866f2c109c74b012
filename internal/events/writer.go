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

// Defaults of Options.
const (
	DefaultPerObject  = 20
	DefaultMaxAge     = 24 * time.Hour
	DefaultMaxPending = 1024
)

// flushTimeout bounds writing what is still pending once Run's context
// ends, so a Manager's last events are stored but a dead Store cannot hold
// its shutdown.
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
	return o
}

// Writer stores events off the caller's path. Record never blocks on the
// Store; Run writes. Its methods are safe for concurrent use.
type Writer struct {
	o    Options
	wake chan struct{}

	mu       sync.Mutex
	batch    []*pending
	byRef    map[meta.Ref]*pending
	warnedAt time.Time
	// expires is the earliest time an event this writer knows of passes
	// MaxAge (zero: none known): Run sweeps then, and only then.
	expires time.Time
	// writing counts the events flush took and has not finished writing;
	// sweeping is set while a sweep runs; quietCh is closed once the
	// writer is quiet (see Quiet).
	writing  int
	sweeping bool
	quietCh  chan struct{}

	memo memo

	dropped, failed atomic.Uint64
}

// pending is an event waiting to be written, with every occurrence since
// the last write folded in.
type pending struct {
	ref meta.Ref
	ev  meta.Event
}

// NewWriter returns a Writer; it writes nothing until Run.
func NewWriter(o Options) *Writer {
	return &Writer{o: o.withDefaults(), wake: make(chan struct{}, 1), byRef: map[meta.Ref]*pending{}}
}

// Record notes that (typ, reason, message) happened to obj now. An event
// already waiting to be written counts one more; a new one is dropped
// (Dropped counts it) when MaxPending events already wait. It reports
// whether the event was kept.
func (w *Writer) Record(obj meta.Ref, typ meta.EventType, reason meta.Reason, message string) bool {
	now := w.o.Clock.Now()
	ref := Ref(obj, typ, reason, message, w.o.ClusterNamespace)
	w.mu.Lock()
	if p := w.byRef[ref]; p != nil {
		p.ev.Count++
		p.ev.Time = now
		w.mu.Unlock()
		return true
	}
	if len(w.batch) >= w.o.MaxPending {
		w.mu.Unlock()
		w.dropped.Add(1)
		return false
	}
	p := &pending{ref: ref, ev: meta.Event{Object: obj, Type: typ, Reason: reason, Message: message,
		FirstTime: now, Time: now, Count: 1}}
	w.batch = append(w.batch, p)
	w.byRef[ref] = p
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return true
}

// Write stores one occurrence of (typ, reason, message) on obj now, on the
// caller's goroutine: for an event a caller of the API caused, in a process
// that may never Run a Writer. An error is also counted in Dropped.
func (w *Writer) Write(ctx context.Context, obj meta.Ref, typ meta.EventType, reason meta.Reason, message string) error {
	now := w.o.Clock.Now()
	p := &pending{ref: Ref(obj, typ, reason, message, w.o.ClusterNamespace), ev: meta.Event{Object: obj, Type: typ,
		Reason: reason, Message: message, FirstTime: now, Time: now, Count: 1}}
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
// pending (for at most a few seconds) and returns. It deletes events past
// MaxAge when it starts and when the earliest event it knows of (written,
// or left by the last sweep) passes MaxAge: with no event to age it reads
// nothing, however long nothing else happens.
func (w *Writer) Run(ctx context.Context) {
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
				t = w.o.Clock.NewTimer(at.Sub(w.o.Clock.Now()))
				fire = t.C()
			}
		}
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
			w.flush(fctx)
			cancel()
			return
		case <-w.wake:
			if ctx.Err() == nil { // else the final flush writes them
				w.flush(ctx)
			}
		case <-fire:
			fire = nil
			w.sweep(ctx)
		}
	}
}

// retrySweep has Run sweep again at at (unless something ages earlier).
func (w *Writer) retrySweep(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.expires.IsZero() || at.Before(w.expires) {
		w.expires = at
	}
}

// NextSweep is when Run sweeps next: when the earliest event known passes
// MaxAge. Zero if no event is known.
func (w *Writer) NextSweep() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.expires
}

// expiry is when an event that last happened at t is past MaxAge: the
// first instant more than MaxAge after t, when a sweep deletes it.
func (w *Writer) expiry(t time.Time) time.Time { return t.Add(w.o.MaxAge + time.Nanosecond) }

// aging notes an event that last happened at t. An earlier expiry than Run
// sleeps for wakes it.
func (w *Writer) aging(t time.Time) {
	at := w.expiry(t)
	w.mu.Lock()
	earlier := w.expires.IsZero() || at.Before(w.expires)
	if earlier {
		w.expires = at
	}
	w.mu.Unlock()
	if earlier {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Pending returns how many distinct events are recorded but not yet
// stored (waiting or being written).
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.batch) + w.writing
}

// Quiet returns a channel closed once no event is pending or being
// written and no sweep is running or due at the clock's now (already
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
	return w.quietCh
}

func (w *Writer) quietLocked() bool {
	return len(w.batch) == 0 && w.writing == 0 && !w.sweeping &&
		(w.expires.IsZero() || w.expires.After(w.o.Clock.Now()))
}

// settledLocked closes quietCh if the writer is quiet.
func (w *Writer) settledLocked() {
	if w.quietCh != nil && w.quietLocked() {
		close(w.quietCh)
		w.quietCh = nil
	}
}

// flush writes every pending event.
func (w *Writer) flush(ctx context.Context) {
	w.mu.Lock()
	batch := w.batch
	w.batch, w.byRef = nil, map[meta.Ref]*pending{}
	w.writing += len(batch)
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.writing -= len(batch)
		w.settledLocked()
	}()
	for i, p := range batch {
		err := w.write(ctx, p)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			lost := uint64(len(batch) - i)
			w.failed.Add(lost)
			w.warn("events not stored before shutdown", lost, err)
			return
		default:
			w.failed.Add(1)
			w.warn("event not stored", 1, err)
		}
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
