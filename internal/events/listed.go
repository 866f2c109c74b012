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
// of 100,000 certificates reads ~440,000 files a second time. err is the
// List's: objects of other kinds it could not read leave the Events
// complete. Listed takes items: the sweep drops each one once read, so
// the caller must not read or change them afterwards.
func (w *Writer) Listed(items []store.Raw, err error) {
	w.mu.Lock()
	w.listed = &listing{items: items, complete: eventsComplete(err)}
	w.mu.Unlock()
	w.poke()
}

// eventsComplete reports whether a List that returned err still returned
// every Event: it did if err is nil, or only names objects of other kinds
// it could not decode. Without a complete census every object's first
// Event lists that object's Events, O(all Events) each.
func eventsComplete(err error) bool {
	if err == nil {
		return true
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if !eventsComplete(e) {
				return false
			}
		}
		return true
	}
	var corrupt *store.CorruptError
	return errors.As(err, &corrupt) && corrupt.Ref.Kind != "" && corrupt.Ref.Kind != meta.KindEvent
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
