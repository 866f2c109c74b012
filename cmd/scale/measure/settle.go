package measure

import (
	"context"
	"fmt"
	"runtime/metrics"
	"time"
)

// A burst leaves the heap far larger than what stays live; the first
// collection after it frees the garbage, and the runtime's scavenger then
// returns those pages to the OS at ~1% of a core for minutes (at 100,000
// certificates, ~400 MB, each chunk a TLB shoot-down in a guest). That is
// the burst's after-effect, paid once, not what the process costs while
// it holds its certificates: a window starting right after the burst
// measures both. Options.Settle waits until it is over before measuring
// a second window, the steady one.

// SettleReport is how the process reached its steady state before the
// steady window.
type SettleReport struct {
	// Waited is how long the wait took; Steady is false when it gave up
	// at Options.SettleMax (the steady window is measured anyway).
	Waited time.Duration
	Steady bool
	// Collections ended during the wait (the runtime's forced ones).
	Collections uint64
	// Released is how much the scavenger returned to the OS during the
	// wait (growth of /memory/classes/heap/released:bytes), and
	// ScavengeCPU its CPU as the runtime estimates it.
	Released    int64
	ScavengeCPU time.Duration
	// RSSFrom and RSSTo are the resident set at the wait's start and end.
	RSSFrom, RSSTo uint64
}

// scavReading is what tells whether the scavenger is still at work.
type scavReading struct {
	cycles   uint64
	released uint64  // /memory/classes/heap/released:bytes
	scavCPU  float64 // /cpu/classes/scavenge/total:cpu-seconds
	rss      uint64
}

var scavSamples = []string{
	"/gc/cycles/total:gc-cycles",
	"/memory/classes/heap/released:bytes",
	"/cpu/classes/scavenge/total:cpu-seconds",
}

func readScav() scavReading {
	s := make([]metrics.Sample, len(scavSamples))
	for i, n := range scavSamples {
		s[i].Name = n
	}
	metrics.Read(s)
	var r scavReading
	if s[0].Value.Kind() == metrics.KindUint64 {
		r.cycles = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		r.released = s[1].Value.Uint64()
	}
	if s[2].Value.Kind() == metrics.KindFloat64 {
		r.scavCPU = s[2].Value.Float64()
	}
	r.rss = rss()
	return r
}

// rssSlack is how far the resident set may move and still count as
// unchanged: an idle process faults in a page now and then (a stack, the
// little it allocates between collections).
const rssSlack = 1 << 20

// steadiness decides, from a reading at each wake-up, when the process is
// steady: a collection ended since the wait began (so the burst's garbage
// is freed and the scavenger told to return it), and for hold after the
// last collection and the last change, the scavenger returned nothing and
// the resident set stayed within rssSlack. Hold must be under the 2
// minutes between forced collections, or no span after one is long enough.
type steadiness struct {
	hold    time.Duration
	first   scavReading
	base    scavReading // the reading the current quiet span started from
	since   time.Time   // when the current quiet span started
	started bool
}

// observe takes a reading at a wake-up and reports whether the process is
// steady as of it.
func (s *steadiness) observe(r scavReading, at time.Time) bool {
	if !s.started {
		s.first, s.base, s.since, s.started = r, r, at, true
		return false
	}
	moved := r.rss > s.base.rss+rssSlack || r.rss+rssSlack < s.base.rss
	if r.cycles != s.base.cycles || r.released != s.base.released || moved {
		s.base, s.since = r, at
		return false
	}
	return r.cycles != s.first.cycles && at.Sub(s.since) >= s.hold
}

// settle waits, waking every wake (a second if not positive), until
// steadiness says the process is steady or limit passes, and reports the
// wait.
func settle(ctx context.Context, hold, limit, wake time.Duration) *SettleReport {
	if wake <= 0 {
		wake = time.Second
	}
	began := time.Now()
	s := steadiness{hold: hold}
	first := readScav()
	steady := s.observe(first, began)
	last := first
	for !steady && time.Since(began) < limit && sleep(ctx, wake) {
		last = readScav()
		steady = s.observe(last, time.Now())
	}
	return &SettleReport{
		Waited: time.Since(began), Steady: steady,
		Collections: last.cycles - first.cycles,
		Released:    int64(last.released) - int64(first.released),
		ScavengeCPU: time.Duration((last.scavCPU - first.scavCPU) * float64(time.Second)),
		RSSFrom:     first.rss, RSSTo: last.rss,
	}
}

// String is "steady after D (N collections; the scavenger returned X MiB
// using C of CPU by the runtime's estimate; RSS A -> B)".
func (s *SettleReport) String() string {
	state := "steady after"
	if !s.Steady {
		state = "NOT steady (gave up: -settle-max) after"
	}
	return fmt.Sprintf("%s %v (%d collections; the scavenger returned %s, CPU %v by the runtime's estimate; RSS %s -> %s)",
		state, s.Waited.Round(time.Second), s.Collections, signedMiB(s.Released), s.ScavengeCPU.Round(time.Millisecond),
		mib(s.RSSFrom), mib(s.RSSTo))
}

// scavengeDelta is what the scavenger did between two readings: bytes
// returned (negative when the heap took released pages back) and its CPU
// by the runtime's estimate.
func scavengeDelta(a, b scavReading) (released int64, cpu time.Duration) {
	return int64(b.released) - int64(a.released), time.Duration((b.scavCPU - a.scavCPU) * float64(time.Second))
}

// signedMiB is b in MiB to a tenth: the scavenger's returns while steady
// are well under one.
func signedMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
