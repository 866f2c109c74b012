package measure

import (
	"bytes"
	"context"
	"io"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"
)

// peakHeap samples, until stopped, the live heap the collector last marked
// (/gc/heap/live:bytes): its largest value during issuance is what the
// burst held at once, which sets the heap's size and so the resident set
// that follows.
type peakHeap struct {
	stop func()
	done chan struct{}
	mu   sync.Mutex
	live uint64
	// profile, when asked for, is a heap profile taken when the sampler
	// last saw a new largest live heap: the profile's in-use figures are
	// those of the same collection the live heap was marked by.
	profile *bytes.Buffer
}

// samplePeakHeap starts sampling every interval; with profile, it also
// keeps a heap profile of the peak (see peakHeap.profile).
func samplePeakHeap(ctx context.Context, interval time.Duration, profile bool) *peakHeap {
	ctx, cancel := context.WithCancel(ctx)
	p := &peakHeap{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		var profiled uint64
		for {
			p.sample(s, &profiled, profile)
			select {
			case <-ctx.Done():
				p.sample(s, &profiled, profile) // the last word: what end's caller left live
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// sample reads the live heap once, keeping the largest, and with profile
// a heap profile when it is a new peak 2% above the one profiled last
// (profiling at every small rise would cost the run it measures).
func (p *peakHeap) sample(s []metrics.Sample, profiled *uint64, profile bool) {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	live := s[0].Value.Uint64()
	p.mu.Lock()
	p.live = max(p.live, live)
	p.mu.Unlock()
	if profile && live > *profiled+*profiled/50 {
		var b bytes.Buffer
		if pprof.Lookup("heap").WriteTo(&b, 0) == nil {
			*profiled = live
			p.mu.Lock()
			p.profile = &b
			p.mu.Unlock()
		}
	}
}

// end stops sampling, after one last sample, and returns the largest
// live heap seen.
func (p *peakHeap) end() uint64 {
	p.stop()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live
}

// writeProfile writes the peak's heap profile to w, if one was taken.
func (p *peakHeap) writeProfile(w io.Writer) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.profile == nil || w == nil {
		return nil
	}
	_, err := w.Write(p.profile.Bytes())
	return err
}
