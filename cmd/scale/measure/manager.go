package measure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// running is a Manager at work on a counted Store.
type running struct {
	m      *certflow.Manager
	raw    store.Store // the Store itself: the run's own reads
	counts *storecount.Store
	byKind *kindTally
	warns  *tally
	cancel context.CancelFunc
	done   chan error
}

// start builds a Manager over raw, counted, and runs it until stop;
// eventMaxAge is its Config.EventMaxAge (zero: the default).
func start(ctx context.Context, raw store.Store, workers int, eventMaxAge time.Duration) (*running, error) {
	byKind := &kindTally{}
	counts := storecount.New(raw, storecount.WithObserver(byKind.add))
	warns := &tally{}
	m, err := certflow.New(certflow.Config{Store: counts, Workers: workers, Logger: slog.New(warns), EventMaxAge: eventMaxAge})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &running{m: m, raw: raw, counts: counts, byKind: byKind, warns: warns, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(rctx) }()
	return r, nil
}

// stop ends Run and returns its error, unless it ended as asked.
func (r *running) stop() error {
	r.cancel()
	err := <-r.done
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// relists is how many times the Manager listed the whole Store after the
// list its Run starts with.
func (r *running) relists() int64 {
	return max(r.counts.Counts().Of(storecount.FullList)-1, 0)
}

// tally is a slog.Handler that counts the warnings and errors a Manager
// logs, by message, and drops every record.
type tally struct {
	mu sync.Mutex
	n  map[string]int
}

func (t *tally) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (t *tally) Handle(_ context.Context, r slog.Record) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	t.n[r.Level.String()+" "+r.Message]++
	return nil
}

func (t *tally) WithAttrs([]slog.Attr) slog.Handler { return t }
func (t *tally) WithGroup(string) slog.Handler      { return t }

// String lists each message with its count, most frequent first.
func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	msgs := make([]string, 0, len(t.n))
	for m := range t.n {
		msgs = append(msgs, m)
	}
	slices.SortFunc(msgs, func(a, b string) int { return t.n[b] - t.n[a] })
	out := ""
	for _, m := range msgs {
		out += fmt.Sprintf("  %d× %s\n", t.n[m], m)
	}
	return out
}

// kindTally counts Store calls by operation and kind of object.
type kindTally struct {
	mu sync.Mutex
	n  map[string]int64
}

func (k *kindTally) add(op storecount.Op, ref meta.Ref) {
	if ref.Kind == "" {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n == nil {
		k.n = map[string]int64{}
	}
	k.n[op.String()+" "+string(ref.Kind)]++
}

// String lists the counts, most first, on one line.
func (k *kindTally) String() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := make([]string, 0, len(k.n))
	for key := range k.n {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b string) int { return int(k.n[b] - k.n[a]) })
	out := ""
	for i, key := range keys {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%s %d", key, k.n[key])
	}
	return out
}
