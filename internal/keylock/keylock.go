// Package keylock holds one lock per key (a DNS name, an authorization),
// made when first wanted and dropped when nobody holds or wants it, whose
// wait ends when the caller's context does or its owner stops.
package keylock

import (
	"context"
	"errors"
	"sync"
)

// ErrStopped ends a wait because the stop channel given to Lock closed.
var ErrStopped = errors.New("keylock: stopped")

// Locks is a set of locks keyed by string. The zero value is ready to use.
type Locks struct {
	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	slot chan struct{} // one place, so that a wait can end with ctx
	refs int           // holder and waiters
}

// Lock waits until key is free, ctx ends, or stop (nil: never) closes, and
// returns the function that gives the lock back.
func (l *Locks) Lock(ctx context.Context, key string, stop <-chan struct{}) (unlock func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*entry{}
	}
	e := l.m[key]
	if e == nil {
		e = &entry{slot: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	l.mu.Unlock()
	select {
	case e.slot <- struct{}{}:
		return func() {
			<-e.slot
			l.release(key, e)
		}, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-stop:
		err = ErrStopped
	}
	l.release(key, e)
	return nil, err
}

func (l *Locks) release(key string, e *entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(l.m, key)
	}
}

// Wanted returns how many hold or wait for key's lock.
func (l *Locks) Wanted(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.m[key]; e != nil {
		return e.refs
	}
	return 0
}

// Size returns how many keys have a lock held or wanted.
func (l *Locks) Size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
