package events

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store/memory"
)

// inMemoryLog is what recording an event cost before events were stored:
// append to a per-object slice under a mutex (the former eventLog). It is
// the baseline Record is measured against.
type inMemoryLog struct {
	mu    sync.Mutex
	byRef map[meta.Ref][]meta.Event
}

func (l *inMemoryLog) event(obj meta.Ref, typ meta.EventType, reason meta.Reason, msg string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := append(l.byRef[obj], meta.Event{Object: obj, Type: typ, Reason: reason, Message: msg, Time: now})
	if len(evs) > DefaultPerObject {
		evs = append(evs[:0:0], evs[len(evs)-DefaultPerObject:]...)
	}
	l.byRef[obj] = evs
}

// BenchmarkRecord is the cost an event adds to a reconcile: Record only
// hashes the key and merges into the pending batch; the writes happen on
// the writer's goroutine (flush, measured separately).
func BenchmarkRecord(b *testing.B) {
	refs := make([]meta.Ref, 1000)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: fmt.Sprint("web-", i)}
	}
	const msg = "Created new CertificateRequest resource web-1"
	b.Run("baseline=in-memory-log", func(b *testing.B) {
		l := &inMemoryLog{byRef: map[meta.Ref][]meta.Event{}}
		now := time.Now()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			l.event(refs[i%len(refs)], meta.EventNormal, "Requested", msg, now)
		}
	})
	b.Run("record", func(b *testing.B) {
		w := NewWriter(Options{Store: memory.New(), Clock: clock.Real{}, MaxPending: 1 << 30})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			w.Record(refs[i%len(refs)], meta.EventNormal, "Requested", msg)
		}
	})
	b.Run("record+flush", func(b *testing.B) {
		// What the writer's goroutine does per event: a store read, a
		// create or a compare-and-swap update, and for a new event the
		// per-object prune.
		w := NewWriter(Options{Store: memory.New(), Clock: clock.Real{}})
		ctx := b.Context()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			w.Record(refs[i%len(refs)], meta.EventNormal, "Requested", msg)
			w.flush(ctx)
		}
	})
}
