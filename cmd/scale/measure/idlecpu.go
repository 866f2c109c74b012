package measure

import (
	"cmp"
	"context"
	"fmt"
	"runtime/metrics"
	"slices"
	"time"
)

// IdleCPU splits an idle window's process CPU by who spent it. The split
// comes from a CPU profile of the window (the kernel's per-thread CPU
// clocks, so a thread descheduled on a loaded machine counts nothing; the
// runtime's own /cpu/classes estimates count the time a P was given to the
// collector, and over-count it under load). The runtime's system monitor
// runs on a thread the profile does not sample: it is in NotProfiled.
type IdleCPU struct {
	// User and System are the process's CPU over the window as the kernel
	// counts it (getrusage): in user space and in the kernel.
	User, System time.Duration
	// Collections is how many collections ended in the window (the runtime
	// forces one every 2 minutes).
	Collections uint64
	// Profile is the profiled CPU by spender; Profiled is false when no
	// profile could be taken (another CPU profile ran).
	Profile  ProfileSplit
	Profiled bool
	// Known is false where the kernel's counts cannot be read.
	Known bool
}

// cpuReading is the kernel's counts and the collections at one moment.
type cpuReading struct {
	cycles       uint64
	user, system time.Duration
	ok           bool
}

func readCPU() cpuReading {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	r := cpuReading{}
	if s[0].Value.Kind() == metrics.KindUint64 {
		r.cycles = s[0].Value.Uint64()
	}
	r.user, r.system, r.ok = processUserSystem()
	return r
}

// idleCPU is what was spent between a and b.
func idleCPU(a, b cpuReading) IdleCPU {
	return IdleCPU{
		User: b.user - a.user, System: b.system - a.system,
		Collections: b.cycles - a.cycles,
		Known:       a.ok && b.ok,
	}
}

// NotProfiled is the process's CPU the profile did not see.
func (c IdleCPU) NotProfiled() time.Duration {
	return max(c.User+c.System-c.Profile.Total(), 0)
}

// WithoutProgram is the process's CPU less what the profile put on this
// program's own code (its wake-ups' scheduling is the runtime's).
func (c IdleCPU) WithoutProgram() time.Duration {
	return max(c.User+c.System-c.Profile[SpentProgram], 0)
}

// String lists the split.
func (c IdleCPU) String() string {
	if !c.Known {
		return "unknown"
	}
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	s := fmt.Sprintf("user %s, system %s; %d collections", ms(c.User), ms(c.System), c.Collections)
	if c.Profiled {
		s += fmt.Sprintf("; profiled: %s; not profiled (system monitor, …) %s", c.Profile, ms(c.NotProfiled()))
	}
	return s
}

// liveObjects is how many objects the heap holds
// (/gc/heap/objects:objects): right after a collection, the live ones,
// each of which marking reached through a pointer. Marking a heap larger
// than the caches costs about a cache miss a pointer followed, so this,
// more than the bytes scanned, sets a collection's CPU.
func liveObjects() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/objects:objects"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// watchRSS returns the largest resident set until end: the kernel's peak
// (VmHWM), reset first, so no peak between wake-ups is missed; where it
// cannot be reset, the largest of one sample a wake-up. It wakes every
// wake (see Options.IdleWake; every second if zero), reading nothing when
// the peak is the kernel's, or never if wake is negative. At each wake-up
// it tells ps the CPU and collections so far.
func watchRSS(ctx context.Context, end time.Time, wake time.Duration, ps *periods) uint64 {
	kernelPeak := resetPeakRSS()
	switch {
	case wake == 0:
		wake = time.Second
	case wake < 0 && kernelPeak:
		wake = time.Until(end)
	case wake < 0:
		wake = time.Second // sampled: no peak otherwise
	}
	var largest uint64
	ps.observe(readCPU(), time.Now())
	for time.Now().Before(end) && sleep(ctx, min(wake, time.Until(end))) {
		ps.observe(readCPU(), time.Now())
		if !kernelPeak {
			largest = max(largest, rss())
		}
	}
	if kernelPeak {
		largest = max(peakRSS(), rss())
	}
	return largest
}

// medianCollection is the median by CPU of n collections of the settled
// heap: marking is bound by memory, and on a shared machine another
// process's use of the caches moves one collection's CPU more than the
// heap changes between them. The median, not the least, so the figure is
// not the luckiest of the runs.
func medianCollection(n int) GCWork {
	works := make([]GCWork, n)
	for i := range works {
		works[i] = collectionWork()
	}
	slices.SortFunc(works, func(a, b GCWork) int { return cmp.Compare(a.CPU, b.CPU) })
	return works[n/2]
}
