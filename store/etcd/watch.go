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
// it where it stopped). A consumer that falls WatchBuffer events behind
// loses nothing: the watch stops reading etcd (so nothing piles up in the
// client), waits for the consumer, and then watches etcd again from the
// last event delivered, catching up from etcd's history. It ends with a
// last event whose Err is set, and its channel closed, when: etcd
// compacted the revisions it needs (Err wraps store.ErrCompacted: list
// again and watch from the list's revision), etcd ended it for another
// reason such as a member losing its leader (wraps ErrUnavailable), or the
// store closed (ErrClosed; if the consumer's buffer is full then, the
// channel just closes). When ctx is done the channel closes without an
// error event.
func (s *Store) Watch(ctx context.Context, fromRevision uint64) (<-chan store.WatchEvent, error) {
	if err := s.check(ctx); err != nil {
		return nil, fmt.Errorf("etcd: watch: %w", err)
	}
	out := make(chan store.WatchEvent, s.watchBuffer)
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

// errStopped means ctx ended: the watch closes without an error event.
var errStopped = errors.New("watch stopped")

func (w *watch) run(ctx context.Context) {
	for {
		err := w.follow(ctx)
		if errors.Is(err, errStopped) || ctx.Err() != nil {
			return
		}
		if err != nil {
			w.end(ctx, err)
			return
		}
		// The consumer fell behind and has read again: follow etcd anew
		// from the last event it was given.
	}
}

// follow runs one etcd watch from w.last+1 and delivers what it sends. It
// returns nil when the consumer fell behind (the events in hand were then
// delivered as it read them, and this etcd watch is cancelled on return),
// errStopped when ctx ended, else why the watch ends.
func (w *watch) follow(ctx context.Context) error {
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
			return errStopped
		case <-w.s.life.Done():
			return ErrClosed
		case resp, ok := <-events:
			if ctx.Err() != nil {
				return errStopped
			}
			if !ok {
				if w.s.life.Err() != nil {
					return ErrClosed
				}
				// Closed without a response saying why: the client
				// itself is closing.
				return fmt.Errorf("%w: the etcd client closed the watch", ErrUnavailable)
			}
			behind, err := w.deliver(ctx, resp)
			if err != nil || behind {
				return err
			}
		}
	}
}

// deliver hands resp's events to the consumer, waiting for it when its
// buffer is full (behind is then true), or returns why the watch ends.
func (w *watch) deliver(ctx context.Context, resp clientv3.WatchResponse) (behind bool, err error) {
	if resp.CompactRevision != 0 {
		return false, fmt.Errorf("%w: etcd compacted revisions up to %d, asked from %d",
			store.ErrCompacted, resp.CompactRevision, w.last+1)
	}
	if err := resp.Err(); err != nil {
		if errors.Is(err, rpctypes.ErrCompacted) {
			return false, fmt.Errorf("%w: %w", store.ErrCompacted, err)
		}
		if kind := w.s.classify(err); kind != nil {
			return false, fmt.Errorf("%w: %w", kind, err)
		}
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	for _, ev := range resp.Events {
		e, ok := w.s.event(ev)
		if !ok {
			continue
		}
		if len(w.out) == cap(w.out) {
			behind = true
		}
		select {
		case w.out <- e:
			w.last = e.Revision
		case <-ctx.Done():
			return false, errStopped
		case <-w.s.life.Done():
			return false, ErrClosed
		}
	}
	return behind, nil
}

// end delivers the last event, which carries why the watch ended, unless
// ctx ends first. Close waits for this goroutine, so once the store is
// closing it never waits for the consumer: with the buffer full, the
// channel just closes.
func (w *watch) end(ctx context.Context, err error) {
	ev := store.WatchEvent{Revision: w.last, Err: fmt.Errorf("etcd: watch: %w", err)}
	select {
	case w.out <- ev:
	case <-ctx.Done():
	case <-w.s.life.Done():
		select {
		case w.out <- ev:
		default:
		}
	}
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
