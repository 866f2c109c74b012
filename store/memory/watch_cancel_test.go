package memory

import (
	"context"
	"fmt"
	"testing"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// A watch whose ctx is done sends nothing more, even while its buffer has
// room: a consumer that cancels and drains until the channel closes would
// otherwise keep getting changes for as long as writers make them.
func TestWatch_FeedSendsNothingAfterCancel(t *testing.T) {
	s := New()
	w := &watcher{next: 1, wake: make(chan struct{}, 1)}
	s.mu.Lock()
	s.watchers[w] = struct{}{}
	s.mu.Unlock()
	for i := range 10 {
		ev := &meta.Event{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: fmt.Sprint("ev-", i)}}
		if err := s.Create(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ch := make(chan store.WatchEvent, watchChanBuffer)
	s.feed(ctx, w, ch) // returns: nothing it does can block once ctx is done
	n := 0
	for range ch {
		n++
	}
	if n != 0 {
		t.Fatalf("a cancelled watch sent %d changes", n)
	}
}
