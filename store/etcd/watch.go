package etcd

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Watch streams every change of an object with a revision greater than
// fromRevision: an etcd watch of the objects' prefix from fromRevision+1,
// with the previous value of each key so a Deleted event carries the
// metadata the object had.
//
// The watch survives etcd restarts and reconnections (the client resumes
// it where it stopped). It ends with a last event whose Err is set, and its
// channel closed, when: etcd compacted the revisions it needs (Err wraps
// store.ErrCompacted: list again and watch from the list's revision), the
// consumer fell WatchBuffer events behind (also ErrCompacted), etcd ended
// it for another reason such as a member losing its leader (wraps
// ErrUnavailable), or the store closed (ErrClosed). When ctx is done the
// channel closes without an error event.
func (s *Store) Watch(ctx context.Context, fromRevision uint64) (<-chan store.WatchEvent, error) {
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("etcd: watch: %w", err)
	}
	out := make(chan store.WatchEvent, s.watchBuffer+1) // the last slot is the error's
	w := &watch{s: s, out: out, last: fromRevision}
	if err := s.spawn(func() {
		defer close(out)
		w.run(ctx)
	}); err != nil {
		return nil, fmt.Errorf("etcd: watch: %w", err)
	}
	return out, nil
}

// watch is one Watch call, owned by its goroutine.
type watch struct {
	s    *Store
	out  chan store.WatchEvent
	last uint64 // revision of the last event delivered
}

func (w *watch) run(ctx context.Context) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(w.s.life, cancel)() // Close ends the watch
	// clientv3 blocks here until it reaches etcd, hence in the goroutine.
	// The member must have a leader, or it would hand out nothing while
	// its cluster moves on without it.
	events := w.s.client.Watch(clientv3.WithRequireLeader(wctx), w.s.keys.objects(),
		clientv3.WithPrefix(), clientv3.WithRev(int64(w.last)+1), clientv3.WithPrevKV())
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.s.life.Done():
			w.end(ErrClosed)
			return
		case resp, ok := <-events:
			if ctx.Err() != nil {
				return
			}
			if !ok {
				if w.s.life.Err() != nil {
					w.end(ErrClosed)
				} else {
					// Closed without a response saying why: the
					// client itself is closing.
					w.end(fmt.Errorf("%w: the etcd client closed the watch", ErrUnavailable))
				}
				return
			}
			if err := w.deliver(resp); err != nil {
				w.end(err)
				return
			}
		}
	}
}

// deliver hands resp's events to the consumer, or returns why the watch ends.
func (w *watch) deliver(resp clientv3.WatchResponse) error {
	if resp.CompactRevision != 0 {
		return fmt.Errorf("%w: etcd compacted revisions up to %d, asked from %d",
			store.ErrCompacted, resp.CompactRevision, w.last+1)
	}
	if err := resp.Err(); err != nil {
		if errors.Is(err, rpctypes.ErrCompacted) {
			return fmt.Errorf("%w: %w", store.ErrCompacted, err)
		}
		if kind := w.s.classify(err); kind != nil {
			return fmt.Errorf("%w: %w", kind, err)
		}
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	for _, ev := range resp.Events {
		e, ok := w.s.event(ev)
		if !ok {
			continue
		}
		if len(w.out) >= cap(w.out)-1 {
			return fmt.Errorf("%w: the consumer fell %d events behind", store.ErrCompacted, len(w.out))
		}
		w.out <- e
		w.last = e.Revision
	}
	return nil
}

// end delivers the last event, which carries why the watch ended. Its slot
// is always free: deliver keeps one.
func (w *watch) end(err error) {
	w.out <- store.WatchEvent{Revision: w.last, Err: fmt.Errorf("etcd: watch: %w", err)}
}

// event maps an etcd event to a store event; false for keys this store
// never writes.
func (s *Store) event(ev *clientv3.Event) (store.WatchEvent, bool) {
	ref, ok := s.keys.parseObject(ev.Kv.Key)
	if !ok {
		return store.WatchEvent{}, false
	}
	e := store.WatchEvent{Ref: ref, Revision: uint64(ev.Kv.ModRevision)}
	kv := ev.Kv
	switch {
	case ev.Type == mvccpb.DELETE:
		e.Type = store.Deleted
		kv = ev.PrevKv // nil if etcd no longer had it
	case ev.IsCreate():
		e.Type = store.Added
	default:
		e.Type = store.Modified
	}
	e.Meta = s.eventMeta(ref, kv)
	return e, true
}

// eventMeta returns the metadata kv holds, or, when there is no kv or it
// cannot be decoded, just the object's name (the consumer reading the
// object then meets the corruption).
func (s *Store) eventMeta(ref meta.Ref, kv *mvccpb.KeyValue) meta.ObjectMeta {
	if kv == nil {
		return meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}
	}
	v, err := parseValue(kv.Value)
	if err == nil {
		var m meta.ObjectMeta
		if m, err = v.metaOf(ref, kv.ModRevision); err == nil {
			return m
		}
	}
	s.log.Warn("etcd store: watch event with unreadable metadata", "kind", ref.Kind,
		"namespace", ref.Namespace, "name", ref.Name, "err", err)
	return meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}
}
