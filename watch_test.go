package certflow

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
	"github.com/certflow/certflow/store/storetest"
)

// pausableWatch is a Store whose watches stop reading while paused, as a
// Manager busy elsewhere would: what it has not read piles up in the Store.
type pausableWatch struct {
	store.Store
	hold sync.Mutex // held while paused

	mu   sync.Mutex
	gets map[meta.Ref]int // Gets that returned, by object
	got  chan struct{}    // closed, and replaced, by every Get

	watched     chan struct{} // closed by the first Watch
	watchedOnce sync.Once
}

func (p *pausableWatch) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	err := p.Store.Get(ctx, ref, into)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gets[ref]++
	close(p.got)
	p.got = make(chan struct{})
	return err
}

func (p *pausableWatch) getsOf(ref meta.Ref) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gets[ref]
}

// awaitGetsOf blocks until ref has been read more than n times, or fails
// the test when ctx is done.
func (p *pausableWatch) awaitGetsOf(ctx context.Context, t *testing.T, ref meta.Ref, n int) {
	t.Helper()
	for {
		p.mu.Lock()
		gets, got := p.gets[ref], p.got
		p.mu.Unlock()
		if gets > n {
			return
		}
		select {
		case <-got:
		case <-ctx.Done():
			t.Fatalf("%s was not read again", ref)
		}
	}
}

func (p *pausableWatch) pause()  { p.hold.Lock() }
func (p *pausableWatch) resume() { p.hold.Unlock() }

func (p *pausableWatch) Watch(ctx context.Context, from uint64) (<-chan store.WatchEvent, error) {
	in, err := p.Store.Watch(ctx, from)
	if err != nil {
		return nil, err
	}
	p.watchedOnce.Do(func() { close(p.watched) })
	out := make(chan store.WatchEvent)
	go func() {
		defer close(out)
		for {
			p.hold.Lock()
			p.hold.Unlock() //nolint:staticcheck // waits out a pause
			ev, ok := <-in
			if !ok {
				return
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

// relistRig is a Manager on a pausable memory store whose Certificates
// nothing reconciles (so only the test writes them), counting its re-lists.
type relistRig struct {
	ctx     context.Context
	st      *pausableWatch
	m       *Manager
	relists *logCounter
	filler  *storetest.Widget // what writes changes
}

func startRelistRig(t *testing.T, opts ...memory.Option) *relistRig {
	t.Helper()
	ctx := testrig.Context(t)
	r := &relistRig{ctx: ctx, st: &pausableWatch{Store: memory.New(opts...), gets: map[meta.Ref]int{}, got: make(chan struct{}),
		watched: make(chan struct{})},
		relists: &logCounter{msg: "store watch restarted"}}
	m, err := New(Config{Store: r.st, Logger: slog.New(r.relists), Workers: 2})
	require.NoError(t, err)
	idle := reconcileFunc(func(context.Context, meta.Ref) (time.Time, error) { return time.Time{}, nil })
	m.reconcilers[meta.KindCertificate] = idle
	r.m = m
	testrig.Run(t, ctx, 10*time.Second, m.Run)
	// The Manager watches once its first list (and the wake-up of every
	// waiter that ends it) is over: from then on each change reaches it.
	select {
	case <-r.st.watched:
	case <-ctx.Done():
		t.Fatal("the Manager never watched the Store")
	}
	return r
}

// await receives from ch or fails the test after a while.
func (r *relistRig) await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	case <-r.ctx.Done():
		t.Fatalf("test deadline while waiting for %s", what)
	}
}

// writes makes n changes to one Widget, an object nothing reconciles.
func (r *relistRig) writes(t *testing.T, n int) {
	t.Helper()
	for range n {
		if r.filler == nil {
			r.filler = storetest.NewWidget("ns", "filler", nil)
			require.NoError(t, r.st.Create(r.ctx, r.filler))
			continue
		}
		r.filler.Data = map[string]string{"n": r.filler.Metadata.ResourceVersion}
		require.NoError(t, r.st.Update(r.ctx, r.filler))
	}
}

// A Manager that falls behind its watch but not past what the Store keeps
// catches up without listing everything again: each change still wakes
// its own waiter.
func TestWatch_SlowManagerCatchesUpWithoutRelist(t *testing.T) {
	r := startRelistRig(t) // the memory store's defaults
	last := storetest.NewWidget("ns", "last", nil)
	woken, stop := r.m.changes.subscribe(last.Ref())
	defer stop()

	r.st.pause()
	r.writes(t, 2000) // more than a watch was once allowed to buffer
	require.NoError(t, r.st.Create(r.ctx, last))
	r.st.resume()

	r.await(t, woken, "the last change to reach its waiter")
	assert.Zero(t, r.relists.count.Load(), "a slow watch made the Manager list everything again")
}

// When the Manager's watch falls behind what the Store keeps, it lists
// everything again, and the changes in between reach nobody one by one:
// every waiter is woken to look again. WaitReady on a Certificate that
// turned Ready in that gap, and is never written again, returns.
func TestWatch_CompactionWakesEveryWaiter(t *testing.T) {
	r := startRelistRig(t, memory.WithHistory(4), memory.WithWatchBuffer(16))
	ref := testrig.CertRef("ns", "web")
	require.NoError(t, r.m.Apply(r.ctx, testrig.Certificate("ns", "web", "ca", "web.example.test")))
	untouched, stop := r.m.changes.subscribe(testrig.CertRef("ns", "never-written"))
	defer stop()
	read := r.st.getsOf(ref)
	ready := make(chan error, 1)
	go func() { ready <- r.m.WaitReady(r.ctx, ref) }()
	// Once WaitReady has read the Certificate (not Ready), only a change
	// can make it look again.
	r.st.awaitGetsOf(r.ctx, t, ref, read)

	r.st.pause()
	// The watch may still pass on the one change it was waiting for when
	// paused: make it this one, not the Certificate's.
	r.writes(t, 1)
	c := &certificate.Certificate{}
	require.NoError(t, r.st.Get(r.ctx, ref, c))
	c.Status.Conditions.Set(meta.Condition{Type: meta.ConditionReady, Status: meta.ConditionTrue,
		Reason: certificate.ReasonReady, ObservedGeneration: c.ObjectMeta.Generation})
	require.NoError(t, r.st.Update(r.ctx, c)) // as another replica sharing the Store would
	r.writes(t, 1000)                         // far more than the watch may fall behind
	r.st.resume()

	select {
	case err := <-ready:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("WaitReady did not return for a Certificate that turned Ready during the gap")
	}
	r.await(t, untouched, "a waiter whose object did not change to be woken by the re-list")
	// More than one if the watch, let through for one event while paused,
	// was cut while the writes went on.
	assert.Positive(t, r.relists.count.Load(), "a re-list after the compaction")
	_, err := r.st.Store.Watch(r.ctx, 1)
	assert.True(t, errors.Is(err, store.ErrCompacted), "the store did compact")
}

// interruptingStore ends its first watch with an error that is not
// ErrCompacted (as a store that lost its connection would) when interrupt
// is closed, and holds the next Watch until release is closed, telling
// rewatched where it resumes from.
type interruptingStore struct {
	*memory.Store
	calls     atomic.Int32
	watched   chan struct{} // closed by the first Watch
	interrupt chan struct{}
	rewatched chan uint64
	release   chan struct{}
}

var errConnectionLost = errors.New("connection lost")

func (s *interruptingStore) Watch(ctx context.Context, from uint64) (<-chan store.WatchEvent, error) {
	switch s.calls.Add(1) {
	case 1:
		defer close(s.watched)
	case 2:
		s.rewatched <- from
		select {
		case <-s.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return s.Store.Watch(ctx, from)
	default:
		return s.Store.Watch(ctx, from)
	}
	wctx, cancel := context.WithCancel(ctx)
	in, err := s.Store.Watch(wctx, from)
	if err != nil {
		cancel()
		return nil, err
	}
	out := make(chan store.WatchEvent)
	go func() {
		defer close(out)
		defer cancel()
		for {
			select {
			case ev, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case <-s.interrupt:
				select {
				case out <- store.WatchEvent{Err: errConnectionLost}:
				case <-ctx.Done():
				}
				return
			}
		}
	}()
	return out, nil
}

// A watch that ends with an error other than ErrCompacted lost nothing the
// Store still has: the Manager resumes from the last change it saw, without
// listing everything again, and a change made in between still reaches its
// waiter.
func TestWatch_InterruptedWatchResumesWithoutRelist(t *testing.T) {
	ctx := testrig.Context(t)
	st := &interruptingStore{Store: memory.New(), watched: make(chan struct{}), interrupt: make(chan struct{}),
		rewatched: make(chan uint64, 1), release: make(chan struct{})}
	relists := &logCounter{msg: "store watch restarted"}
	m, err := New(Config{Store: st, Logger: slog.New(relists), Workers: 2})
	require.NoError(t, err)
	testrig.Run(t, ctx, 10*time.Second, m.Run)
	select {
	case <-st.watched:
	case <-ctx.Done():
		t.Fatal("the Manager never watched the Store")
	}
	seen := storetest.NewWidget("ns", "seen", nil)
	seenWoken, stop := m.changes.subscribe(seen.Ref())
	defer stop()
	require.NoError(t, st.Create(ctx, seen))
	select {
	case <-seenWoken:
	case <-ctx.Done():
		t.Fatal("a change did not reach its waiter")
	}

	close(st.interrupt)
	var from uint64
	select {
	case from = <-st.rewatched:
	case <-ctx.Done():
		t.Fatal("the Manager did not watch again")
	}
	assert.Equal(t, st.Revision(), from, "resumes from the last change seen")
	gap := storetest.NewWidget("ns", "gap", nil)
	gapWoken, stop := m.changes.subscribe(gap.Ref())
	defer stop()
	require.NoError(t, st.Create(ctx, gap)) // while no watch runs
	close(st.release)
	select {
	case <-gapWoken:
	case <-ctx.Done():
		t.Fatal("the change made while the watch was down did not reach its waiter")
	}
	assert.Zero(t, relists.count.Load(), "an interrupted watch made the Manager list everything again")
}
