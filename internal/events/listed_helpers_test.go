package events

import "github.com/certflow/certflow/store"

// Listed hands w a list of the Store taken at once (items, and the List's
// err), as TakeListing does a Scan's: the tests' lists are List results.
func (w *Writer) Listed(items []store.Raw, err error) {
	l := NewListing()
	for _, raw := range items {
		l.Add(raw)
	}
	w.TakeListing(l, err)
}
