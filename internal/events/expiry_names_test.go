package events

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// A queued entry holds no pointer, so the collector does not mark the
// ~500,000 entries queued at 100,000 certificates.
func TestDue_HoldsNoPointer(t *testing.T) {
	typ := reflect.TypeFor[due]()
	for i := range typ.NumField() {
		switch k := typ.Field(i).Type.Kind(); k {
		case reflect.Int64, reflect.Uint64, reflect.Uint32:
		default:
			t.Errorf("due.%s is a %s", typ.Field(i).Name, k)
		}
	}
	assert.LessOrEqual(t, typ.Size(), uintptr(24))
}

// Events queued continuously, more names than one chunk holds, each expire
// at their hour in order and under their own name; the chunks of names
// already expired are let go while the queue never drains.
func TestExpiries_NamesAcrossChunks(t *testing.T) {
	var x expiries
	const n, window = 20_000, 1000 // ~30 bytes a name: ~9 chunks, ~1.5 held
	name := func(i int) string { return fmt.Sprintf("web-%05d.%016x", i, i*7919) }
	at := func(i int) time.Time { return epoch.Add(time.Duration(i) * time.Second) }
	for i := range n {
		x.track(meta.Ref{Kind: meta.KindEvent, Namespace: "default", Name: name(i)}, fmt.Sprint(i+1), at(i).Add(time.Hour))
		if i < window {
			continue
		}
		// The Event queued window seconds ago, and only it, is due.
		got := x.popDue(at(i-window).Add(time.Hour), expireBatch)
		require.Len(t, got, 1, "step %d", i)
		assert.Equal(t, name(i-window), got[0].ref.Name, "step %d", i)
		assert.Equal(t, "default", got[0].ref.Namespace)
		assert.Equal(t, fmt.Sprint(i-window+1), got[0].rv)
	}
	held := 0
	for _, c := range x.names.chunks {
		if c.buf != nil {
			held++
		}
	}
	assert.LessOrEqual(t, held, 2, "chunks held for %d queued names", window)
	assert.Greater(t, len(x.names.chunks), 1, "the names did not fit in one chunk")

	got := x.popDue(at(n).Add(time.Hour), n)
	require.Len(t, got, window)
	for j, e := range got {
		assert.Equal(t, name(n-window+j), e.ref.Name)
	}
	assert.Empty(t, x.names.chunks, "a drained queue holds no names")
}

// An Event requeued out of order (a retry, a sweep's find) keeps its name
// in a chunk other entries left.
func TestExpiries_NamesOutOfOrder(t *testing.T) {
	var x expiries
	for i := 5; i > 0; i-- {
		x.track(meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: fmt.Sprint("ev-", i)}, "1", epoch.Add(time.Duration(i)*time.Second))
	}
	got := x.popDue(epoch.Add(2*time.Second), expireBatch)
	require.Len(t, got, 2)
	assert.Equal(t, []string{"ev-1", "ev-2"}, []string{got[0].ref.Name, got[1].ref.Name})
	x.track(meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: "ev-0"}, "1", epoch)
	got = x.popDue(epoch.Add(time.Hour), expireBatch)
	var names []string
	for _, e := range got {
		names = append(names, e.ref.Name)
	}
	assert.Equal(t, []string{"ev-0", "ev-3", "ev-4", "ev-5"}, names)
}

// A name longer than a chunk's 16-bit length holds (another Store's; certflow's
// refuse names over 253 bytes) is not queued, rather than cut short and
// deleted later under a name that is not its own; the names around it are.
func TestExpiries_NameTooLongIsNotQueued(t *testing.T) {
	var x expiries
	long := strings.Repeat("a", maxQueuedName+1)
	x.track(meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: "before"}, "1", epoch)
	x.track(meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: long}, "1", epoch.Add(time.Second))
	x.track(meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: "after"}, "1", epoch.Add(2*time.Second))
	got := x.popDue(epoch.Add(time.Hour), expireBatch)
	var names []string
	for _, e := range got {
		names = append(names, e.ref.Name)
	}
	assert.Equal(t, []string{"before", "after"}, names)

	longest := strings.Repeat("b", maxQueuedName)
	x.track(meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: longest}, "1", epoch)
	got = x.popDue(epoch.Add(time.Hour), expireBatch)
	require.Len(t, got, 1)
	assert.Equal(t, longest, got[0].ref.Name, "the longest name a chunk holds comes back whole")
}
