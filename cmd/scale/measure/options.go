package measure

import (
	"errors"
	"io"
	"time"

	"github.com/certflow/certflow/store"
)

// Options configure Run. Zero values are defaults, except Certs and Open.
type Options struct {
	// Certs is how many Certificates the Store holds (or will). Required.
	Certs int
	// Open opens the Store; Run opens it again for the restart, after
	// calling the close it returned. Required.
	Open func() (st store.Store, close func() error, err error)
	// RestartOnly skips issuance and idling: the Store already holds Certs
	// issued Certificates (a previous run's), and only the restart is measured.
	RestartOnly bool
	// Restart, after issuance and idling, stops the Manager, opens the Store
	// again and measures a Manager starting on it.
	Restart bool
	// StopAtServed ends the restart's measure once every name is served:
	// the work after it (the resync's checks, minutes at 100k), the Ready
	// count and the idle window after the restart are not measured, so a
	// restart's time to serve takes seconds to measure, not minutes.
	StopAtServed bool
	// Idle is how long the Manager is watched while nothing is due. If zero, 30 s.
	Idle time.Duration
	// Quiet is how long without a Store call ends the work after the last
	// Certificate turned Ready (or after a restart served every name). If
	// zero, 2 s.
	Quiet time.Duration
	// ReadyTimeout bounds the wait for every Certificate to be Ready, and
	// for every name to be served on restart. If zero, 30 minutes.
	ReadyTimeout time.Duration
	// Workers is the Manager's Config.Workers. If zero, its default.
	Workers int
	// HeapProfile, if set, receives a heap profile taken at the end of the
	// first idle window (after the restart, with RestartOnly), with the
	// Manager still running.
	HeapProfile io.Writer
	// RestartProfile, if set, receives a CPU profile of the restart from
	// the Store's Open until every name is served. It cannot be combined
	// with another CPU profile of the process.
	RestartProfile io.Writer
	// IdleProfile, if set, receives a CPU profile of the first idle
	// window only. It cannot be combined with another CPU profile of the
	// process.
	IdleProfile io.Writer
	// IdleWake is how often the idle window wakes the process (it reads
	// nothing: the largest resident set is the kernel's peak). If zero,
	// every second, as this program always sampled. Negative: never, the
	// process sleeps through the window as an idle program would. The
	// runtime's scavenger, which gives back the pages a collection freed,
	// is woken by its system monitor, and in a process with nothing due
	// that sleeps up to a minute: without the wake-ups the pages the
	// forced collection frees go back up to a minute later, maybe after
	// the window, and the resident set at its end is larger.
	IdleWake time.Duration
	// Progress receives a line every few seconds while waiting. If nil,
	// nothing is written.
	Progress io.Writer
	// EventMaxAge is the Manager's Config.EventMaxAge: shorter than Idle,
	// the idle window ends with the issuance's Events aged out and
	// deleted. If zero, the Manager's default (an hour).
	EventMaxAge time.Duration
	// Settle, if positive, follows the idle window (right after the
	// burst) with a wait until the process is steady, then a second window
	// of Idle: steady once a collection ended during the wait and for
	// Settle after the last collection the scavenger returned nothing and
	// the resident set stayed within 1 MiB (settle.go). It should be under
	// the 2 minutes between forced collections. The first window then ends
	// without the collections and page return that measure the settled
	// heap: they would do the scavenger's work for it.
	Settle time.Duration
	// SettleMax bounds the wait for the steady state; the steady window is
	// measured anyway, and reported as not steady. If zero, 30 minutes.
	SettleMax time.Duration
	// PeakHeapProfile, if set, receives a heap profile of the largest live
	// heap sampled during issuance, or with RestartOnly during the restart
	// (as of the collection that marked it).
	PeakHeapProfile io.Writer
}

func (o Options) withDefaults() (Options, error) {
	if o.Certs <= 0 {
		return o, errors.New("measure: Certs must be positive")
	}
	if o.Open == nil {
		return o, errors.New("measure: Open is required")
	}
	if o.Idle == 0 {
		o.Idle = 30 * time.Second
	}
	if o.Quiet == 0 {
		o.Quiet = 2 * time.Second
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 30 * time.Minute
	}
	if o.SettleMax == 0 {
		o.SettleMax = 30 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o, nil
}
