package measure

import (
	"fmt"
	"strings"
	"time"
)

// CollectionPeriod is the span from one collection the idle window saw
// end to the next: with nothing allocating, the runtime's forced
// collection every 2 minutes. Its CPU is the idle cost that repeats (a
// collection, its sweeping, what the scavenger returns after it, and
// every wake-up in between), where a whole window's also holds the tail
// of the burst before it (the first collection after a burst frees the
// burst's garbage, which the scavenger then returns) and a share of a
// period that depends on where the window starts. The first period after
// a burst still holds the scavenger's return of the burst's pages, which
// follows the collection that opens it.
type CollectionPeriod struct {
	Length, CPU time.Duration
	// Collections is how many collections ended in it: 1, unless the
	// window woke less often than the runtime collected (-idle-wake), so
	// a wake-up saw two or more at once.
	Collections uint64
}

// Percent is the period's CPU as a share of a core.
func (p CollectionPeriod) Percent() float64 { return 100 * p.CPU.Seconds() / p.Length.Seconds() }

// periods splits a window into CollectionPeriods, told a reading at each
// of the window's wake-ups; a collection is seen at the first wake-up
// after it ended, so a period's bounds are as fine as the wake-ups.
type periods struct {
	last   cpuReading
	at     time.Time
	seen   bool // a collection ended in the window: a period is open
	closed []CollectionPeriod
}

// observe takes a reading at a wake-up.
func (p *periods) observe(r cpuReading, at time.Time) {
	if !r.ok {
		// Without CPU it can bound no period; a failed first reading kept
		// as the base would have bounded none for the whole window.
		return
	}
	if p.at.IsZero() {
		p.last, p.at = r, at
		return
	}
	if r.cycles == p.last.cycles {
		return
	}
	if p.seen {
		p.closed = append(p.closed, CollectionPeriod{Length: at.Sub(p.at),
			CPU: r.user + r.system - p.last.user - p.last.system, Collections: r.cycles - p.last.cycles})
	}
	p.last, p.at, p.seen = r, at, true
}

// formatPeriods lists each period as "LENGTH: CPU (PERCENT)", with its
// collections when a wake-up saw more than one.
func formatPeriods(ps []CollectionPeriod) string {
	if len(ps) == 0 {
		return "none whole (the window holds fewer than two collections, or never woke: -idle-wake)"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%v: %v (%.2f%%)", p.Length.Round(time.Second), p.CPU.Round(time.Millisecond), p.Percent())
		if p.Collections > 1 {
			parts[i] += fmt.Sprintf(" over %d collections", p.Collections)
		}
	}
	return strings.Join(parts, ", ")
}
