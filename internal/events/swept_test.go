package events

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// The sweep reads of an Event exactly what a whole decode reads there,
// for Events as the writer stores them.
func TestDecodeSwept_AgreesWithAWholeDecode(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	w := NewWriter(Options{Store: st, Clock: clk})
	for i, obj := range objectsAt(3) {
		at := clk.Now().Add(-time.Duration(i) * 17 * time.Minute)
		p := &pending{ev: meta.Event{Object: obj, Type: meta.EventWarning, Reason: "Failed",
			Message: "a \"quoted\" message", Time: at, FirstTime: at.Add(-time.Hour), Count: 3}}
		p.ref = Ref(obj, p.ev.Type, p.ev.Reason, p.ev.Message, "")
		require.NoError(t, st.Create(ctx, w.newEvent(p)))
	}
	res, err := st.List(ctx, store.ListOptions{Kind: meta.KindEvent})
	require.NoError(t, err)
	require.Len(t, res.Items, 3)
	for _, raw := range res.Items {
		var whole meta.Event
		require.NoError(t, raw.Decode(&whole))
		swept, err := decodeSwept(raw)
		require.NoError(t, err)
		assert.Equal(t, whole.Object, swept.Object, "%s", raw.Ref)
		assert.True(t, whole.Time.Equal(swept.Time), "%s: %s, not %s", raw.Ref, swept.Time, whole.Time)
	}
}

// A stored text that is not JSON is corrupt, as for a whole decode, even
// where the fields the sweep reads come first.
func TestDecodeSwept_CorruptText(t *testing.T) {
	ref := meta.Ref{Kind: meta.KindEvent, Namespace: "default", Name: "bad"}
	good, err := json.Marshal(sweptEvent{Object: ref, Time: epoch})
	require.NoError(t, err)
	_, err = decodeSwept(store.Raw{Ref: ref, Data: append(good[:len(good)-1:len(good)-1], `,"message":`...)})
	var corrupt *store.CorruptError
	require.True(t, errors.As(err, &corrupt), "%v", err)
	assert.Equal(t, ref, corrupt.Ref)
}

// BenchmarkSweepDecode decodes the stored Events a sweep lists: "whole"
// as every meta.Event (the sweep before decodeSwept), "swept" the two
// fields it needs.
func BenchmarkSweepDecode(b *testing.B) {
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	fillEvents(b, st, clk, 4000, (*Writer).newEvent)
	res, err := st.List(context.Background(), store.ListOptions{Kind: meta.KindEvent})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, raw := range res.Items {
				var e meta.Event
				if err := raw.Decode(&e); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(res.Items)), "ns/event")
	})
	b.Run("swept", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, raw := range res.Items {
				if _, err := decodeSwept(raw); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(res.Items)), "ns/event")
	})
}

// An Event whose text is JSON but holds a field the sweep does not read
// with the wrong type (which fails a whole decode) is counted in the
// census and tracked, and its version is deleted once past MaxAge; one
// that is not JSON leaves the census untaken, as before decodeSwept.
func TestSweep_MistypedUnreadFieldIsCountedAndExpires(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(epoch)
	st := memory.New(memory.WithClock(clk))
	obj := objectsAt(1)[0]
	for _, tc := range []struct {
		name   string
		tail   string // replaces the closing brace of the stored text
		census bool
	}{
		{"count a string", `,"count":"three"}`, true},
		{"not JSON", `,"count":`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWriter(t, st, clk, nil)
			p := &pending{ev: meta.Event{Object: obj, Type: meta.EventNormal, Reason: "Issued", Message: tc.name, Time: clk.Now()}}
			p.ref = Ref(obj, p.ev.Type, p.ev.Reason, p.ev.Message, "")
			ev := w.newEvent(p)
			require.NoError(t, st.Create(ctx, ev))
			text, err := json.Marshal(ev)
			require.NoError(t, err)
			raw := store.Raw{Ref: p.ref, ResourceVersion: ev.ObjectMeta.ResourceVersion,
				Data: append(text[:len(text)-1:len(text)-1], tc.tail...)}
			require.Error(t, raw.Decode(&meta.Event{}), "a whole decode fails")

			w.Listed([]store.Raw{raw}, nil)
			w.sweep(ctx)
			assert.Equal(t, tc.census, w.memo.census)
			if !tc.census {
				return
			}
			clk.Set(w.expiry(p.ev.Time))
			w.expire(ctx)
			assert.ErrorIs(t, st.Get(ctx, p.ref, &meta.Event{}), store.ErrNotFound, "expired by its version")
		})
	}
}
