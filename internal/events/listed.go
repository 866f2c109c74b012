package events

import (
	"context"
	"errors"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// listing is a list of the Store taken by the writer's owner.
type listing struct {
	items    []store.Raw
	complete bool
}

// errIncompleteListing stands for the error of a handed-over list that
// missed objects.
var errIncompleteListing = errors.New("events: the list handed over was incomplete")

// Listed hands Run a list of the Store its owner just took (a Manager
// lists every object when it starts): Run's next sweep reads the Events
// among items instead of listing every Event again, which on a file store
// of 100,000 certificates reads ~440,000 files a second time. complete
// says the list holds every object. items must not be changed afterwards.
func (w *Writer) Listed(items []store.Raw, complete bool) {
	w.mu.Lock()
	w.listed = &listing{items: items, complete: complete}
	w.mu.Unlock()
	w.poke()
}

func (w *Writer) hasListing() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.listed != nil
}

// listing returns the list handed over by Listed, if any, else lists every
// Event.
func (w *Writer) listing(ctx context.Context) (store.ListResult, error) {
	w.mu.Lock()
	l := w.listed
	w.listed = nil
	w.mu.Unlock()
	if l == nil {
		return w.o.Store.List(ctx, store.ListOptions{Kind: meta.KindEvent})
	}
	if !l.complete {
		return store.ListResult{Items: l.items}, errIncompleteListing
	}
	return store.ListResult{Items: l.items}, nil
}
