package testrig

import (
	"bytes"
	"context"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent writers: a log sink, a
// child process's stderr.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// wrote, if not nil, is closed by the next Write: how Await learns of
	// a line without polling.
	wrote chan struct{}
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.wrote != nil {
		close(b.wrote)
		b.wrote = nil
	}
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Await blocks until cond holds for what was written, re-checking it
// after every Write, and returns ctx's error if ctx is done first.
func (b *Buffer) Await(ctx context.Context, cond func(written string) bool) error {
	for {
		b.mu.Lock()
		if b.wrote == nil {
			b.wrote = make(chan struct{})
		}
		wrote, s := b.wrote, b.buf.String()
		b.mu.Unlock()
		if cond(s) {
			return nil
		}
		select {
		case <-wrote:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
