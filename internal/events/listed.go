package events

import (
	"context"
	"errors"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// Listing is what a sweep needs of the Events of a list of the Store its
// owner took: each Event's reference, version, object and time, read as
// the list is handed over (Add) and none of its bytes kept. A Manager
// starting on 100,000 certificates lists 500,000 Events (some 500 MB):
// holding them until Run's sweep held them beside every other listed
// object.
type Listing struct {
	events []listedEvent
	// listed counts the Events added, readable or not.
	listed   int
	complete bool
	// kinds and namespaces intern the strings of the objects the Events
	// are about: a few distinct values, decoded anew for each Event.
	kinds, namespaces map[string]string
}

// listedEvent is one listed Event, as the sweep reads it.
type listedEvent struct {
	ref meta.Ref
	rv  string
	e   sweptEvent
}

// NewListing returns an empty Listing, for Add.
func NewListing() *Listing {
	return &Listing{complete: true, kinds: map[string]string{}, namespaces: map[string]string{}}
}

// Add reads raw if it is an Event; objects of other kinds are skipped.
// It keeps none of raw's bytes.
func (l *Listing) Add(raw store.Raw) {
	if raw.Ref.Kind != meta.KindEvent {
		return
	}
	l.listed++
	e, err := decodeSwept(raw)
	if err != nil {
		l.complete = false // the census counts every Event, or is not taken
		return
	}
	e.Object.Kind = meta.Kind(intern(l.kinds, string(e.Object.Kind)))
	e.Object.Namespace = intern(l.namespaces, e.Object.Namespace)
	l.events = append(l.events, listedEvent{ref: raw.Ref, rv: raw.ResourceVersion, e: e})
}

// intern returns the copy of s held in seen, holding s there first.
func intern(seen map[string]string, s string) string {
	if held, ok := seen[s]; ok {
		return held
	}
	seen[s] = s
	return s
}

// errIncompleteListing stands for the error of a handed-over list that
// missed objects.
var errIncompleteListing = errors.New("events: the list handed over was incomplete")

// TakeListing hands Run a list of the Store its owner just took (a
// Manager lists every object when it starts), read into l an object at a
// time as a Scan hands it over: Run's next sweep reads the Events in l
// instead of listing every Event again, which on a file store of 100,000
// certificates reads ~440,000 files a second time. err is the Scan's:
// objects of other kinds it could not read leave the Events complete. The
// writer takes l: the caller must not Add to it afterwards.
func (w *Writer) TakeListing(l *Listing, err error) {
	l.complete = l.complete && eventsComplete(err)
	l.kinds, l.namespaces = nil, nil
	w.mu.Lock()
	w.listed = l
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

// listing returns the Events handed over by TakeListing, if any, else lists
// every Event and reads them, dropping each one's bytes once read. It
// fails when no Event was read from an incomplete list: nothing to sweep
// yet, try again later.
func (w *Writer) listing(ctx context.Context) (*Listing, error) {
	w.mu.Lock()
	l := w.listed
	w.listed = nil
	w.mu.Unlock()
	if l == nil {
		res, err := w.o.Store.List(ctx, store.ListOptions{Kind: meta.KindEvent})
		l = NewListing()
		for i, raw := range res.Items {
			res.Items[i] = store.Raw{}
			l.Add(raw)
		}
		l.complete = l.complete && err == nil
		l.kinds, l.namespaces = nil, nil
		if err != nil && l.listed == 0 {
			return nil, err
		}
		return l, nil
	}
	if !l.complete && l.listed == 0 {
		return nil, errIncompleteListing
	}
	return l, nil
}
