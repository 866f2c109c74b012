package measure

import (
	"fmt"
	"io"
	"time"

	"github.com/certflow/certflow/internal/storecount"
)

// Report is what Run measured; a phase that did not run is nil.
type Report struct {
	Certs int
	Issue *IssueReport
	// Idle is the window right after the burst (after its work ended).
	Idle *IdleReport
	// Settle is the wait for the steady state after Idle, and Steady the
	// window after it (Options.Settle); nil without.
	Settle  *SettleReport
	Steady  *IdleReport
	Restart *RestartReport
	// RestartIdle is the idle window after the restart.
	RestartIdle *IdleReport
	// CallsByKind lists the Managers' calls naming an object, by operation
	// and kind, over the whole run.
	CallsByKind string
	// Warnings lists the warnings and errors the Managers logged, with counts.
	Warnings string
	// GC is the collector's settings during the run (GOGC, GOMEMLIMIT).
	GC string
	// EventMaxAge is the Managers' Config.EventMaxAge when set (-event-max-age).
	EventMaxAge time.Duration
	// EventsLost is the issuing Manager's certflow_events_lost_total at its
	// stop: recorded events that no Event was stored for (eventsLost).
	EventsLost uint64
}

// IssueReport covers issuing every Certificate.
type IssueReport struct {
	// Apply is how long storing the Certificates took (Manager.Apply, one
	// after another, while the Manager issued the first ones).
	Apply time.Duration
	// Elapsed runs from the first Apply until the last Certificate was seen Ready.
	Elapsed time.Duration
	// MissedWhenReady counts the Certificates whose name the Manager did not
	// serve at the moment each was seen Ready.
	MissedWhenReady int
	// MissedLag is the longest a missed name then waited to be served
	// (polled, so an upper bound); MissedNeverServed counts those still
	// unserved a minute later.
	MissedLag         time.Duration
	MissedNeverServed int
	// ServedAtLastReady counts the names served the moment the last
	// Certificate was seen Ready.
	ServedAtLastReady int
	// AtLastReady is memory the moment the last Certificate was seen Ready
	// (no collection forced).
	AtLastReady Memory
	// Calls are the Manager's Store calls until the last Ready.
	Calls storecount.Counts
	// After is the work that followed the last Ready: how long until the
	// Manager's last Store call before a quiet spell, and the calls.
	After      time.Duration
	AfterCalls storecount.Counts
	// Relists counts full re-lists of the Store (after the first).
	Relists int64
	// TrackerRelists counts the times the run's own watch was cut.
	TrackerRelists int
	// ApplyCPU is the CPU time the applying used (its thread's; zero if
	// unknown): Apply's own cost, which Apply's wall-clock time hides.
	ApplyCPU time.Duration
	// CPU is the process's CPU time from the first Apply until every
	// Certificate was Ready (zero if unknown).
	CPU time.Duration
	// PeakLiveHeap is the largest live heap a collection marked from the
	// first Apply until the last Ready (sampled every 100 ms); PeakRSS is
	// the process's largest resident set (VmHWM) over the same time, reset
	// at the first Apply (resetPeakRSS).
	PeakLiveHeap, PeakRSS uint64
}

// IdleReport covers a span with nothing due.
type IdleReport struct {
	Window time.Duration
	// CPU is the process's CPU time over Window; CPUKnown is false where it
	// cannot be read.
	CPU      time.Duration
	CPUKnown bool
	// Calls are the Manager's Store calls over Window.
	Calls   storecount.Counts
	Relists int64
	// MaxRSS is the largest resident set over Window: the kernel's peak
	// (VmHWM) where it can be reset, else sampled once a second.
	MaxRSS uint64
	// Released is what the scavenger returned to the OS over Window
	// (negative: the heap took back more released pages than it
	// returned), ScavengeCPU its CPU by the runtime's estimate
	// (/cpu/classes/scavenge/total:cpu-seconds): in a steady window, about
	// nothing.
	Released    int64
	ScavengeCPU time.Duration
	// End is memory at the end of Window, before collecting; Settled after.
	End, Settled Memory
	// Forced is whether Settled, Returned, Collection and LiveObjects were
	// measured (collections forced and pages returned after Window): not
	// for a window a steady one follows.
	Forced bool
	// Returned is memory after Settled once the heap's free pages went
	// back to the OS (debug.FreeOSMemory): the resident set a program
	// could reach, which the heap's partly used spans bound from below.
	Returned Memory
	// Collection is one full collection of the settled heap (after
	// Settled): the work of the runtime's forced collection while idle.
	// Its CPU is the median of three.
	Collection GCWork
	// Split is CPU over Window by who spent it.
	Split IdleCPU
	// LiveObjects is how many objects the heap held after Collection.
	LiveObjects uint64
	// Periods are the whole spans between two collections in Window
	// (the forced one every 2 minutes), each with its CPU: the idle cost
	// that repeats, without the share of a period the window's position
	// cuts (the first may still hold the scavenger's return of the burst).
	Periods []CollectionPeriod
	// Wake is how often this program woke the process over Window
	// (Options.IdleWake); negative: never.
	Wake time.Duration
}

// RestartReport covers a Manager starting on the populated Store.
type RestartReport struct {
	// Open is how long opening the Store took.
	Open time.Duration
	// Served runs from opening the Store until every name was served;
	// Unserved counts the names still unserved at the deadline.
	Served   time.Duration
	Unserved int
	// AtServed is memory when every name was served.
	AtServed Memory
	// Calls are the Manager's Store calls until every name was served.
	Calls storecount.Counts
	// After is the work that followed until a quiet spell, and its calls.
	After      time.Duration
	AfterCalls storecount.Counts
	Relists    int64
	// ReadyInStore counts the Ready Certificates the Store holds.
	ReadyInStore int
	// CPUToServe is the process's CPU time from opening the Store until
	// every name was served, and CPUAfter over the work that followed:
	// on a shared machine they vary less than the wall-clock times.
	CPUToServe, CPUAfter time.Duration
	// PeakRSS is the process's largest resident set (VmHWM) from opening
	// the Store until the work after the restart ended (reset then:
	// resetPeakRSS).
	PeakRSS uint64
	// PeakLiveHeap is the largest live heap a collection marked over the
	// same span (sampled every 100 ms).
	PeakLiveHeap uint64
	// Stopped is set when the measure ended once every name was served
	// (Options.StopAtServed): nothing after that was measured.
	Stopped bool
}

// Print writes the report as a table.
func (r *Report) Print(w io.Writer) {
	row := func(k, f string, a ...any) { fmt.Fprintf(w, "| %-56s | %s |\n", k, fmt.Sprintf(f, a...)) }
	fmt.Fprintf(w, "| %-56s | %s |\n|%s|%s|\n", fmt.Sprintf("measure (%d certificates)", r.Certs), "value", dashes(58), dashes(40))
	if r.GC != "" {
		row("garbage collector settings", "%s", r.GC)
	}
	if r.EventMaxAge != 0 {
		row("Manager's EventMaxAge (events deleted once that old)", "%v", r.EventMaxAge)
	}
	if i := r.Issue; i != nil {
		row("issuance: first Apply to last Ready", "%v (%.0f certs/s); Apply took %v", i.Elapsed.Round(time.Millisecond),
			float64(r.Certs)/i.Elapsed.Seconds(), i.Apply.Round(time.Millisecond))
		if i.ApplyCPU > 0 {
			row("Apply per Certificate: wall-clock / its own CPU", "%v / %v",
				perCert(i.Apply, r.Certs), perCert(i.ApplyCPU, r.Certs))
		}
		if i.CPU > 0 {
			row("process CPU, first Apply to last Ready", "%v = %v per certificate", i.CPU.Round(time.Millisecond),
				perCert(i.CPU, r.Certs))
		}
		row("names not served the moment their Certificate was Ready", "%d (longest wait after: %v; never: %d)",
			i.MissedWhenReady, i.MissedLag.Round(time.Millisecond), i.MissedNeverServed)
		row("names served when the last Certificate turned Ready", "%d of %d (%.1f%%)", i.ServedAtLastReady, r.Certs,
			100*float64(i.ServedAtLastReady)/float64(r.Certs))
		row("heap (objects / spans in use) and RSS after the last Ready", "%s", i.AtLastReady)
		if i.PeakLiveHeap > 0 {
			row("peak during issuance: live heap marked / RSS (VmHWM)", "%s / %s", mib(i.PeakLiveHeap), mib(i.PeakRSS))
		}
		row("Store calls until the last Ready", "%s", i.Calls)
		row("work after the last Ready", "%v; %s", i.After.Round(time.Millisecond), i.AfterCalls)
		row("full re-lists (Manager / the run's own watch)", "%d / %d", i.Relists, i.TrackerRelists)
	}
	if r.Idle != nil {
		name := "idle"
		if r.Steady != nil {
			name = "idle after the burst"
		}
		r.Idle.print(row, name)
	}
	if r.Settle != nil {
		row("wait until steady (-settle)", "%s", r.Settle)
	}
	if r.Steady != nil {
		// A wait that gave up measured a window the scavenger may still
		// be working in: its rows must not read as the steady state's.
		name := "idle steady"
		if r.Settle != nil && !r.Settle.Steady {
			name = "idle after -settle-max (NOT steady)"
		}
		r.Steady.print(row, name)
	}
	if s := r.Restart; s != nil {
		row("restart: Store opened in", "%v", s.Open.Round(time.Millisecond))
		row("restart: every name served after", "%v (unserved at deadline: %d)", s.Served.Round(time.Millisecond), s.Unserved)
		row("restart: process CPU until served / over the work after", "%v / %v", s.CPUToServe.Round(time.Millisecond), s.CPUAfter.Round(time.Millisecond))
		row("restart: heap and RSS when every name served", "%s", s.AtServed)
		row("restart: Store calls until every name served", "%s", s.Calls)
		if s.Stopped {
			s.printStopped(row)
		} else {
			s.printAfter(row)
		}
	}
	if r.RestartIdle != nil {
		r.RestartIdle.print(row, "idle after restart")
	}
	if r.CallsByKind != "" {
		fmt.Fprintf(w, "\nStore calls naming an object, by operation and kind:\n%s\n", r.CallsByKind)
	}
	if r.Issue != nil {
		fmt.Fprintf(w, "events recorded but not stored (certflow_events_lost_total; dropped while 4,096 waited): %d\n", r.EventsLost)
	}
	if r.Warnings != "" {
		fmt.Fprintf(w, "\nwarnings and errors logged:\n%s", r.Warnings)
	}
}

func (i *IdleReport) print(row func(k, f string, a ...any), name string) {
	cpu := "unknown"
	if i.CPUKnown {
		cpu = fmt.Sprintf("%v = %.2f%% of a core", i.CPU.Round(time.Millisecond), 100*i.CPU.Seconds()/i.Window.Seconds())
	}
	row(name+": CPU over "+i.Window.Round(time.Second).String(), "%s", cpu)
	if i.CPUKnown && i.Split.Known && i.Split.Profiled {
		row(name+": CPU less this program's own", "%v = %.2f%% of a core", i.Split.WithoutProgram().Round(time.Millisecond), 100*i.Split.WithoutProgram().Seconds()/i.Window.Seconds())
	}
	row(name+": that CPU by who spent it", "%s", i.Split)
	row(name+": CPU from one collection to the next", "%s", formatPeriods(i.Periods))
	if i.Wake < 0 {
		row(name+": this program woke the process", "never (-idle-wake)")
	} else {
		row(name+": this program woke the process", "every %v, reading nothing (the largest RSS is the kernel's peak)", i.Wake)
	}
	row(name+": Manager's Store calls", "%s", i.Calls)
	row(name+": full re-lists", "%d", i.Relists)
	row(name+": scavenger: returned to the OS / its CPU (runtime's estimate)", "%s / %v", signedMiB(i.Released), i.ScavengeCPU.Round(time.Millisecond))
	row(name+": largest RSS", "%s", mib(i.MaxRSS))
	row(name+": heap and RSS at the end", "%s", i.End)
	if !i.Forced {
		row(name+": settled heap, one collection, live objects", "not measured here (forcing collections and returning pages would settle the process for the scavenger): see the steady window")
		return
	}
	row(name+": heap and RSS after a GC", "%s", i.Settled)
	row(name+": RSS once free pages are returned (FreeOSMemory)", "%s", i.Returned)
	row(name+": one collection of the settled heap (median CPU of 3)", "%s", i.Collection)
	if i.LiveObjects > 0 {
		row(name+": live objects after it; its CPU an object", "%d; %.0f ns", i.LiveObjects, float64(i.Collection.CPU.Nanoseconds())/float64(i.LiveObjects))
	}
}

// String is "heap A MiB objects / B MiB spans, RSS C MiB".
func (m Memory) String() string {
	return fmt.Sprintf("heap %s objects / %s spans, RSS %s", mib(m.HeapAlloc), mib(m.HeapInuse), mib(m.RSS))
}

// perCert is d shared among n certificates, to a tenth of a microsecond.
func perCert(d time.Duration, n int) time.Duration {
	return (d / time.Duration(n)).Round(100 * time.Nanosecond)
}

func mib(b uint64) string { return fmt.Sprintf("%d MiB", b>>20) }

func dashes(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '-'
	}
	return string(b)
}

// printAfter writes the rows of the work after every name was served.
func (s *RestartReport) printAfter(row func(k, f string, a ...any)) {
	row("restart: work after every name served", "%v; %s (writes: %d)", s.After.Round(time.Millisecond), s.AfterCalls,
		s.AfterCalls.Writes())
	row("restart: writes in all", "%d", s.Calls.Writes()+s.AfterCalls.Writes())
	row("restart: full re-lists", "%d", s.Relists)
	row("restart: Ready Certificates in the Store", "%d", s.ReadyInStore)
	row("restart: peak RSS until its work ended (VmHWM)", "%s", mib(s.PeakRSS))
	row("restart: peak live heap marked until its work ended", "%s", mib(s.PeakLiveHeap))
}

// printStopped writes the rows a restart measured until every name was
// served (Options.StopAtServed) holds: what it does not hold is not
// printed as zeros.
func (s *RestartReport) printStopped(row func(k, f string, a ...any)) {
	row("restart: work after every name served", "not measured (-stop-at-served)")
	row("restart: writes until every name served", "%d", s.Calls.Writes())
	row("restart: peak RSS until every name served (VmHWM)", "%s", mib(s.PeakRSS))
	row("restart: peak live heap marked until every name served", "%s", mib(s.PeakLiveHeap))
}
