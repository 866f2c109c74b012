package measure

import (
	"context"
	"runtime/metrics"
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
}

// samplePeakHeap starts sampling every interval.
func samplePeakHeap(ctx context.Context, interval time.Duration) *peakHeap {
	ctx, cancel := context.WithCancel(ctx)
	p := &peakHeap{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			metrics.Read(s)
			if s[0].Value.Kind() == metrics.KindUint64 {
				p.mu.Lock()
				p.live = max(p.live, s[0].Value.Uint64())
				p.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// end stops sampling and returns the largest live heap seen.
func (p *peakHeap) end() uint64 {
	p.stop()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live
}
