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
	// The watch has its own handle on the directory: it ends with ctx, not
	// with Close.
	root, err := s.tree.root.OpenRoot(".")
	if err != nil {
		return nil, fmt.Errorf("file: watch: %w", closedErr(err))
	}
	p := &poller{tree: tree{root: root, dir: s.tree.dir, log: s.tree.log}, last: fromRevision}
	first, err := p.poll()
	if err != nil && len(first) == 0 {
		_ = root.Close()
		return nil, fmt.Errorf("file: watch from %d: %w", fromRevision, err)
	}
	ch := make(chan store.WatchEvent, watchBuffer)
	go p.run(ctx, s.poll, ch, first, err)
	return ch, nil
}

// poller follows changes.log for one watch. It is owned by its goroutine.
type poller struct {
	tree   tree
	file   os.FileInfo // log file being followed; nil before the first poll
	offset int64       // bytes of it consumed
	last   uint64      // highest revision delivered (or asked to skip)
	more   bool        // the last poll stopped at maxPollBytes
}

// following reports whether fi is the log file the poller has read up to
// its end.
func (p *poller) following(fi os.FileInfo) bool {
	return p.file != nil && os.SameFile(fi, p.file) && fi.Size() == p.offset
}

// run delivers batch, then err if set (the last event), then what later
// polls find.
func (p *poller) run(ctx context.Context, interval time.Duration, ch chan<- store.WatchEvent, batch []store.WatchEvent, err error) {
	defer close(ch)
	defer func() { _ = p.tree.root.Close() }()
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
		if err != nil {
			select {
			case ch <- store.WatchEvent{Revision: p.last, Err: fmt.Errorf("file: watch: %w", err)}:
			case <-ctx.Done():
			}
			return
		}
		if !p.more {
			select {
			case <-ticker.C:
			case <-ctx.Done():
				return
			}
		}
		batch, err = p.poll()
	}
}

// poll returns the complete changes logged since the last poll. It reads
// under the shared flock, so every change it returns has its object file in
// place. Errors wrap store.ErrCompacted: the consumer must list again after
// the changes returned with the error, which came before it.
func (p *poller) poll() ([]store.WatchEvent, error) {
	p.more = false
	if fi, err := p.tree.root.Stat(logName); err == nil && p.following(fi) {
		return nil, nil // nothing new: skip the lock
	}
	data, err := p.read()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", store.ErrCompacted, err)
	}
	var (
		out []store.WatchEvent
		// damage is a line that does not decode; it may have held a
		// change, unless the next good line follows on from p.last.
		damage error
	)
	for consumed := false; ; consumed = true {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			if damage != nil {
				return out, damage
			}
			// The rest is cut by maxPollBytes (read on at once) or is a
			// torn or unfinished line (read again at the next tick).
			p.more = p.more && consumed
			return out, nil
		}
		line := data[:nl]
		data = data[nl+1:]
		p.offset += int64(nl + 1)
		r, ok := goodLine(line)
		if !ok {
			if damage == nil {
				damage = fmt.Errorf("%w: change log line %.80q is damaged", store.ErrCompacted, line)
			}
			continue
		}
		if damage != nil && r.Rev > p.last+1 {
			return out, damage
		}
		damage = nil
		if r.Type == "" {
			if r.Rev > p.last {
				return out, fmt.Errorf("%w: revisions up to %d are forgotten, asked from %d", store.ErrCompacted, r.Rev, p.last)
			}
			continue
		}
		if r.Rev <= p.last {
			continue
		}
		p.last = r.Rev
		out = append(out, store.WatchEvent{Type: r.Type, Ref: *r.Ref, Revision: r.Rev, Meta: *r.Meta})
	}
}

// read returns the log bytes after p.offset (at most maxPollBytes), starting
// over when the log was replaced by a trim.
func (p *poller) read() ([]byte, error) {
	lock, err := sharedLock(&p.tree)
	if err != nil {
		return nil, err
	}
	defer func() { _ = lock.Close() }()
	f, err := p.tree.top().openFile(logName, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if p.file == nil || !os.SameFile(fi, p.file) || fi.Size() < p.offset {
		p.file, p.offset = fi, 0
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
