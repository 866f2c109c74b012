package acmetest

import (
	"context"
	"errors"
	"sync"
)

// errClosing ends a wait because the Server is closing.
var errClosing = errors.New("acmetest: server closing")

// authzLocks holds one lock per authorization ID, made when first wanted
// and dropped when nobody holds or wants it. A waiter gives up when its
// context ends or the Server closes.
type authzLocks struct {
	mu sync.Mutex
	m  map[string]*authzLock
}

type authzLock struct {
	slot chan struct{} // one place
	refs int           // holder and waiters
}

// lock takes id's lock and returns the function that gives it back.
func (l *authzLocks) lock(ctx context.Context, closing <-chan struct{}, id string) (unlock func(), err error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*authzLock{}
	}
	e := l.m[id]
	if e == nil {
		e = &authzLock{slot: make(chan struct{}, 1)}
		l.m[id] = e
	}
	e.refs++
	l.mu.Unlock()
	select {
	case e.slot <- struct{}{}:
		return func() {
			<-e.slot
			l.release(id, e)
		}, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-closing:
		err = errClosing
	}
	l.release(id, e)
	return nil, err
}

func (l *authzLocks) release(id string, e *authzLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(l.m, id)
	}
}

// size is the number of authorizations whose lock is held or wanted.
func (l *authzLocks) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
