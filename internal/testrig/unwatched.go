package testrig

import (
	"context"

	"github.com/certflow/certflow/store"
)

// Unwatched wraps st so that its watches never deliver the changes skip
// matches: a watch that has not reached them yet, and never will. Reads
// and writes go to st unchanged.
func Unwatched(st store.Store, skip func(store.WatchEvent) bool) store.Store {
	return unwatched{Store: st, skip: skip}
}

type unwatched struct {
	store.Store
	skip func(store.WatchEvent) bool
}

func (s unwatched) Watch(ctx context.Context, from uint64) (<-chan store.WatchEvent, error) {
	in, err := s.Store.Watch(ctx, from)
	if err != nil {
		return nil, err
	}
	out := make(chan store.WatchEvent)
	go func() {
		defer close(out)
		for ev := range in {
			if ev.Err == nil && s.skip(ev) {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
