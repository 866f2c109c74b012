package route53

import (
	"context"
	"sync"
)

// nameLocks is a set of mutexes keyed by record name; entries exist only
// while someone holds or waits for them. The zero value is ready to use.
type nameLocks struct {
	mu    sync.Mutex
	locks map[string]*nameLock
}

// nameLock is a one-slot semaphore so that waiting for it can honour ctx.
type nameLock struct {
	slot chan struct{}
	refs int
}

// lock waits until name is free or ctx is done; the returned func releases it.
func (l *nameLocks) lock(ctx context.Context, name string) (unlock func(), err error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*nameLock{}
	}
	e := l.locks[name]
	if e == nil {
		e = &nameLock{slot: make(chan struct{}, 1)}
		l.locks[name] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case e.slot <- struct{}{}:
		return func() {
			<-e.slot
			l.release(name, e)
		}, nil
	case <-ctx.Done():
		l.release(name, e)
		return nil, ctx.Err()
	}
}

func (l *nameLocks) release(name string, e *nameLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.locks, name)
	}
}

// refs returns how many hold or wait for name (for tests).
func (l *nameLocks) refs(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.locks[name]; e != nil {
		return e.refs
	}
	return 0
}

// size returns how many names have an entry (for tests: no leak).
func (l *nameLocks) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.locks)
}
