package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

// The Event writer is handed the listed Events alone, in the list's order,
// in a slice of its own: holding it must not hold the other objects' bytes.
func TestListedEventsKeepsOnlyEvents(t *testing.T) {
	raw := func(kind meta.Kind, name string) store.Raw {
		return store.Raw{Ref: meta.Ref{Kind: kind, Namespace: "ns", Name: name}, ResourceVersion: "1", Data: []byte(`{"n":"` + name + `"}`)}
	}
	items := []store.Raw{
		raw(meta.KindCertificate, "a"), raw(meta.KindEvent, "a.1"), raw(meta.KindCertificateRequest, "a-1"),
		raw(meta.KindEvent, "a.2"), raw(meta.KindSecret, "a-tls"), raw(meta.KindEvent, "b.1"),
	}
	events := listedEvents(items)
	assert.Equal(t, []store.Raw{items[1], items[3], items[5]}, events)
	assert.Equal(t, len(events), cap(events), "no room kept beyond the Events")
	items[1] = raw(meta.KindSecret, "overwritten")
	assert.Equal(t, meta.KindEvent, events[0].Ref.Kind, "the Events' slice is not the list's")
	assert.Empty(t, listedEvents(nil))
}
