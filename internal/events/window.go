package events

import "time"

// DefaultWindow is how long the first event of a batch waits for others
// before Run writes them all (Options.Window).
//
// An issuance records a dozen events over a few reconciles; written as
// each came (1.2 events a write at 200 issuances 8 at a time), every
// event cost a wake of Run, a wake of the Store's watchers, and the
// scheduler's work behind both. And most of an issuance's events that are
// deleted are its Challenge's, deleted with it once its Order is valid,
// tens of milliseconds after its last event: still waiting, they are
// never written (Gone), which spares a Create, a Delete and two changes
// on every watch for each.
//
// A reader does not wait for it: Sync and Quiet (and so Manager.Events
// and Status) end the gathering. Only another process reading the Store
// sees an event up to this much later, as it would behind a busy
// client-go recorder. Wall-clock time, as the pause between two ACME
// polls: it paces writes and decides nothing, and a test's fake clock
// must not hold events back.
const DefaultWindow = 200 * time.Millisecond

// batchFull is a batch that is written without waiting for the window:
// waiting longer saves little, and holds more (at ~1,700 events a second,
// 200 issuances 8 at a time, a batch fills in ~150 ms).
const batchFull = 256

// gathered tells Run that the batch holds n distinct events: the first
// opens the window, a full batch is written now.
func (w *Writer) gathered(n int) {
	if n == 1 {
		// Reset from here rather than poking Run to arm it: one wake a
		// batch, not two.
		w.window.Reset(w.o.Window)
	}
	if n == min(batchFull, w.o.MaxPending) {
		w.mu.Lock()
		w.askFlushLocked() // waiting would drop the next new event
		w.mu.Unlock()
	}
}

// stoppedTimer is a window not yet open.
func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// SetWindow sets Options.Window of a writer not yet in use: for the
// owner's tests, whose writer is built with the owner's options.
func (w *Writer) SetWindow(d time.Duration) { w.o.Window = d }
