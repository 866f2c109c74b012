package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/certflow/certflow/store"
)

const (
	// watchBuffer is the channel capacity of a watch; the poller itself
	// waits for a slow consumer, which only delays that consumer.
	watchBuffer = 64
	// maxPollBytes bounds how much of the log one poll reads (and holds).
	maxPollBytes = 1 << 20
)

// Watch streams every change with a revision greater than fromRevision by
// polling changes.log. If fromRevision is older than the log remembers,
// Watch returns an error wrapping store.ErrCompacted. The polling goroutine
// stops, and the channel closes, when ctx is done.
func (s *Store) Watch(ctx context.Context, fromRevision uint64) (<-chan store.WatchEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("file: watch: %w", err)
	}
	p := &poller{lockPath: s.lockPath(), logPath: s.logPath, last: fromRevision}
	first, err := p.poll()
	if err != nil {
		return nil, fmt.Errorf("file: watch from %d: %w", fromRevision, err)
	}
	ch := make(chan store.WatchEvent, watchBuffer)
	go p.run(ctx, s.poll, ch, first)
	return ch, nil
}

// poller follows changes.log for one watch. It is owned by its goroutine.
type poller struct {
	lockPath, logPath string
	ino               uint64 // log file being followed; 0 before the first poll
	offset            int64  // bytes of it consumed
	last              uint64 // highest revision delivered (or asked to skip)
	more              bool   // the last poll stopped at maxPollBytes
}

func (p *poller) run(ctx context.Context, interval time.Duration, ch chan<- store.WatchEvent, batch []store.WatchEvent) {
	defer close(ch)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		for _, ev := range batch {
			select {
			case ch <- ev:
			case <-ctx.Done():
				return
			}
		}
		if !p.more {
			select {
			case <-ticker.C:
			case <-ctx.Done():
				return
			}
		}
		var err error
		if batch, err = p.poll(); err != nil {
			select {
			case ch <- store.WatchEvent{Revision: p.last, Err: fmt.Errorf("file: watch: %w", err)}:
			case <-ctx.Done():
			}
			return
		}
	}
}

// poll returns the complete changes logged since the last poll. It reads
// under the shared flock, so every change it returns has its object file in
// place. Errors wrap store.ErrCompacted: the consumer must list again.
func (p *poller) poll() ([]store.WatchEvent, error) {
	p.more = false
	if fi, err := os.Stat(p.logPath); err == nil && inode(fi) == p.ino && fi.Size() == p.offset {
		return nil, nil // nothing new: skip the lock
	}
	data, err := p.read()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", store.ErrCompacted, err)
	}
	var out []store.WatchEvent
	for consumed := false; ; consumed = true {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			// The rest is cut by maxPollBytes (read on at once) or is a
			// torn or unfinished line (read again at the next tick).
			p.more = p.more && consumed
			return out, nil
		}
		line := data[:nl]
		data = data[nl+1:]
		p.offset += int64(nl + 1)
		r, err := decodeLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", store.ErrCompacted, err)
		}
		if r.Type == "" {
			if r.Rev > p.last {
				return nil, fmt.Errorf("%w: revisions up to %d are forgotten, asked from %d", store.ErrCompacted, r.Rev, p.last)
			}
			continue
		}
		if r.Rev <= p.last || r.Ref == nil || r.Meta == nil {
			continue
		}
		p.last = r.Rev
		out = append(out, store.WatchEvent{Type: r.Type, Ref: *r.Ref, Revision: r.Rev, Meta: *r.Meta})
	}
}

// read returns the log bytes after p.offset (at most maxPollBytes), starting
// over when the log was replaced by a trim.
func (p *poller) read() ([]byte, error) {
	lock, err := sharedLock(p.lockPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = lock.Close() }()
	f, err := os.Open(p.logPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if ino := inode(fi); ino != p.ino || fi.Size() < p.offset {
		p.ino, p.offset = ino, 0
	}
	n := fi.Size() - p.offset
	if n > maxPollBytes {
		n, p.more = maxPollBytes, true
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, p.offset); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf, nil
}
