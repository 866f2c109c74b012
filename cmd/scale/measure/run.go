package measure

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"time"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/cputime"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Run measures what Options ask and returns the report. It needs the
// process to itself: memory and CPU are the whole process's.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	rep := &Report{Certs: opts.Certs, GC: gcSettings(), EventMaxAge: opts.EventMaxAge}
	st, closeStore, err := opts.Open()
	if err != nil {
		return nil, err
	}
	defer func() { _ = closeStore() }()
	if !opts.RestartOnly {
		r, err := start(ctx, st, opts.Workers, opts.EventMaxAge)
		if err != nil {
			return nil, err
		}
		rep.Issue, err = issue(ctx, r, opts)
		if err == nil {
			// With Settle, the first window forces no collection and
			// returns no page at its end: either would do for the
			// scavenger what the wait for the steady state is to watch it
			// do.
			rep.Idle = idle(ctx, r, opts, opts.Settle <= 0)
			opts.IdleProfile = nil // the first window's only
			if opts.HeapProfile != nil {
				err = pprof.WriteHeapProfile(opts.HeapProfile)
			}
			if opts.Settle > 0 {
				fmt.Fprintf(opts.Progress, "waiting until steady (-settle %v, at most %v)\n", opts.Settle, opts.SettleMax)
				rep.Settle = settle(ctx, opts.Settle, opts.SettleMax, opts.IdleWake)
				fmt.Fprintf(opts.Progress, "%s\n", rep.Settle)
				rep.Steady = idle(ctx, r, opts, true)
			}
		}
		err = errors.Join(err, r.stop())
		rep.Warnings += r.warns.String()
		rep.CallsByKind = "issuance and idle: " + r.byKind.String()
		lost, lerr := eventsLost(r.m)
		rep.EventsLost, err = lost, errors.Join(err, lerr)
		if err != nil || !opts.Restart {
			return rep, err
		}
		if err := closeStore(); err != nil {
			return rep, err
		}
	}
	if opts.RestartProfile != nil {
		if err := pprof.StartCPUProfile(opts.RestartProfile); err != nil {
			return rep, err
		}
		defer pprof.StopCPUProfile() // if the restart fails before every name is served
	}
	resetPeakRSS()
	// The issuance's peak profile is the one asked for when there is one.
	peak := samplePeakHeap(ctx, 100*time.Millisecond, opts.PeakHeapProfile != nil && opts.RestartOnly)
	defer peak.end() // if the restart fails before its work ended
	began := time.Now()
	cpuBegan, _ := cputime.Process()
	st, closeStore, err = opts.Open()
	if err != nil {
		return rep, err
	}
	opened := time.Since(began)
	r, err := start(ctx, st, opts.Workers, opts.EventMaxAge)
	if err != nil {
		return rep, err
	}
	defer func() {
		rep.Warnings += r.warns.String()
		rep.CallsByKind += "\nrestart and idle: " + r.byKind.String()
	}()
	rep.Restart, err = restart(ctx, r, opts, began, cpuBegan)
	if rep.Restart != nil {
		rep.Restart.Open = opened
		rep.Restart.PeakLiveHeap = peak.end()
		if opts.RestartOnly {
			err = errors.Join(err, peak.writeProfile(opts.PeakHeapProfile))
		}
	}
	if err == nil && !opts.StopAtServed {
		rep.RestartIdle = idle(ctx, r, opts, true)
		if opts.HeapProfile != nil && opts.RestartOnly {
			err = pprof.WriteHeapProfile(opts.HeapProfile)
		}
	}
	return rep, errors.Join(err, r.stop())
}

// issue stores the CA, its Issuer and every Certificate and waits until
// all are Ready, checking each name the moment its Certificate is.
func issue(ctx context.Context, r *running, opts Options) (*IssueReport, error) {
	res, err := r.raw.List(ctx, store.ListOptions{Kind: meta.KindCertificate})
	if err != nil {
		return nil, err
	}
	if len(res.Items) > 0 {
		return nil, fmt.Errorf("measure: the Store already holds %d Certificates: measure a restart instead", len(res.Items))
	}
	tctx, stopTracker := context.WithCancel(ctx)
	defer stopTracker()
	tr := newReadiness(r.raw, r.m, opts.Certs)
	go tr.run(tctx, res.Revision)

	ca, err := CASecret(time.Now())
	if err != nil {
		return nil, err
	}
	for _, o := range []meta.Object{ca, CAIssuer()} {
		if err := r.m.Apply(ctx, o); err != nil {
			return nil, err
		}
	}
	resetPeakRSS()
	peak := samplePeakHeap(ctx, 100*time.Millisecond, opts.PeakHeapProfile != nil)
	began := time.Now()
	cpuBegan, cpuOK := cputime.Process()
	applyCPU, err := applyAll(ctx, r.m, opts.Certs)
	if err != nil {
		peak.end()
		return nil, err
	}
	rep := &IssueReport{Apply: time.Since(began), ApplyCPU: applyCPU}
	if err := awaitReady(ctx, tr, opts); err != nil {
		peak.end()
		return rep, err
	}
	if cpuReady, ok := cputime.Process(); ok && cpuOK {
		rep.CPU = cpuReady - cpuBegan
	}
	rep.Calls = r.counts.Counts()
	rep.AtLastReady = readMemory()
	rep.PeakLiveHeap, rep.PeakRSS = peak.end(), peakRSS()
	if err := peak.writeProfile(opts.PeakHeapProfile); err != nil {
		return rep, err
	}
	rep.ServedAtLastReady = servedNames(r, opts.Certs)
	tr.mu.Lock()
	last := tr.lastReady
	tr.mu.Unlock()
	rep.Elapsed = last.Sub(began)
	_, rep.MissedWhenReady = tr.count()
	rep.MissedLag, rep.MissedNeverServed = tr.awaitMissed(ctx, time.Minute)
	rep.After, rep.AfterCalls = workUntilQuiet(ctx, r, opts.Quiet, last, rep.Calls)
	rep.Relists = r.relists()
	stopTracker()
	tr.mu.Lock()
	rep.TrackerRelists = tr.watchErrs
	tr.mu.Unlock()
	return rep, nil
}

// awaitReady waits until every Certificate is Ready, telling the progress.
func awaitReady(ctx context.Context, tr *readiness, opts Options) error {
	deadline := time.NewTimer(opts.ReadyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tr.all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			n, _ := tr.count()
			return fmt.Errorf("%w: %d of %d after %v", errNotAllReady, n, opts.Certs, opts.ReadyTimeout)
		case <-tick.C:
			n, missed := tr.count()
			fmt.Fprintf(opts.Progress, "ready %d/%d (%d unserved when Ready)\n", n, opts.Certs, missed)
		}
	}
}

// servedNames counts the names the Manager serves now.
func servedNames(r *running, n int) int {
	served := 0
	for i := range n {
		if serves(r.m, DNSName(i)) {
			served++
		}
	}
	return served
}

// workUntilQuiet waits until the Manager has no backlog (nothing queued,
// reconciling, waiting to be stored, or still to be queued by the list Run
// starts with: a process starved of CPU can look quiet while it still owes
// that work) and made no Store call and the process used under 5% of a core
// for quiet, and returns how long after since that spell began (the work's
// end), and the calls made since the reading before.
func workUntilQuiet(ctx context.Context, r *running, quiet time.Duration, since time.Time, before storecount.Counts) (time.Duration, storecount.Counts) {
	const step = 100 * time.Millisecond
	type sample struct {
		at  time.Time
		cpu time.Duration
	}
	var samples []sample // the last quiet/step of them
	for ctx.Err() == nil {
		cpu, ok := cputime.Process()
		now := time.Now()
		samples = append(samples, sample{now, cpu})
		for len(samples) > 1 && now.Sub(samples[1].at) >= quiet {
			samples = samples[1:]
		}
		first := samples[0]
		idleCPU := !ok || float64(cpu-first.cpu) < 0.05*float64(now.Sub(first.at))
		if now.Sub(first.at) >= quiet && idleCPU && now.Sub(r.counts.LastCall()) >= quiet && r.m.Backlog().Idle() {
			return max(first.at.Sub(since), 0), r.counts.Counts().Sub(before)
		}
		sleep(ctx, step)
	}
	return 0, r.counts.Counts().Sub(before)
}

// idle watches the Manager for opts.Idle with nothing due; then, with
// forced, it collects and returns free pages to measure the settled heap.
func idle(ctx context.Context, r *running, opts Options, forced bool) *IdleReport {
	fmt.Fprintf(opts.Progress, "idling %v\n", opts.Idle)
	rep := &IdleReport{}
	scav0 := readScav()
	calls, relists := r.counts.Counts(), r.relists()
	var profile bytes.Buffer
	profiling := pprof.StartCPUProfile(&profile) == nil // unless -cpuprofile runs
	split0 := readCPU()
	cpu0, ok0 := cputime.Process()
	began := time.Now()
	end := began.Add(opts.Idle)
	var ps periods
	rep.MaxRSS = watchRSS(ctx, end, opts.IdleWake, &ps)
	rep.Periods = ps.closed
	rep.Wake = cmp.Or(opts.IdleWake, time.Second)
	cpu1, ok1 := cputime.Process()
	rep.Window = time.Since(began)
	split1 := readCPU()
	if profiling {
		pprof.StopCPUProfile()
	}
	rep.Split = idleCPU(split0, split1)
	if profiling {
		var err error
		rep.Split.Profile, err = splitProfile(profile.Bytes())
		rep.Split.Profiled = err == nil
		if opts.IdleProfile != nil {
			_, _ = opts.IdleProfile.Write(profile.Bytes())
		}
	}
	rep.CPU, rep.CPUKnown = cpu1-cpu0, ok0 && ok1
	rep.Calls = r.counts.Counts().Sub(calls)
	rep.Relists = r.relists() - relists
	rep.Released, rep.ScavengeCPU = scavengeDelta(scav0, readScav())
	rep.End = readMemory()
	if !forced {
		return rep
	}
	rep.Forced = true
	rep.Settled = settledMemory()
	rep.Collection = medianCollection(3)
	rep.LiveObjects = liveObjects()
	rep.Returned = returnedMemory()
	return rep
}

// restart waits until the Manager serves every name, then until its Store
// work ends.
func restart(ctx context.Context, r *running, opts Options, began time.Time, cpuBegan time.Duration) (*RestartReport, error) {
	pending := make([]string, opts.Certs)
	for i := range pending {
		pending[i] = DNSName(i)
	}
	rep := &RestartReport{}
	deadline := time.Now().Add(opts.ReadyTimeout)
	for len(pending) > 0 && time.Now().Before(deadline) {
		// Only the first pending name is asked until it is served, so the
		// polling costs the Manager nothing while it loads.
		if !serves(r.m, pending[0]) {
			if !sleep(ctx, time.Millisecond) {
				return nil, ctx.Err()
			}
			continue
		}
		left := pending[:0]
		for _, n := range pending {
			if !serves(r.m, n) {
				left = append(left, n)
			}
		}
		pending = left
		if len(pending) > 0 && !sleep(ctx, time.Millisecond) {
			return nil, ctx.Err()
		}
	}
	rep.Served, rep.Unserved = time.Since(began), len(pending)
	served := time.Now()
	cpuServed, _ := cputime.Process()
	if opts.RestartProfile != nil {
		pprof.StopCPUProfile()
	}
	rep.CPUToServe = cpuServed - cpuBegan
	rep.Calls = r.counts.Counts()
	rep.AtServed = readMemory()
	if opts.StopAtServed {
		rep.Stopped = true
		rep.PeakRSS = peakRSS()
		if rep.Unserved > 0 {
			return rep, fmt.Errorf("measure: %d names unserved %v after the restart", rep.Unserved, opts.ReadyTimeout)
		}
		return rep, nil
	}
	rep.After, rep.AfterCalls = workUntilQuiet(ctx, r, opts.Quiet, served, rep.Calls)
	cpuQuiet, _ := cputime.Process()
	rep.CPUAfter = cpuQuiet - cpuServed
	rep.Relists = r.relists()
	rep.PeakRSS = peakRSS()
	res, err := r.raw.List(ctx, store.ListOptions{Kind: meta.KindCertificate})
	if err != nil {
		return rep, err
	}
	for _, raw := range res.Items {
		c := &certificate.Certificate{}
		if raw.Decode(c) == nil && isReady(c) {
			rep.ReadyInStore++
		}
	}
	if rep.Unserved > 0 {
		return rep, fmt.Errorf("measure: %d names unserved %v after the restart", rep.Unserved, opts.ReadyTimeout)
	}
	return rep, nil
}
