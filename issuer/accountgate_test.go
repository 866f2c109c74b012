package issuer

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/clock"
)

// After a 429 no request of the account leaves before its Retry-After: it
// is answered locally with a 429 naming the remaining wait.
func TestAccountGate_RateLimitHoldsEveryRequest(t *testing.T) {
	var hits atomic.Int32
	limited := atomic.Bool{}
	limited.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if limited.Swap(false) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	clk := clock.NewFake(time.Unix(1e9, 0))
	g := newAccountGate(clk, 2)
	hc := &http.Client{Transport: g.transport(http.DefaultTransport)}
	get := func() *http.Response {
		res, err := hc.Get(srv.URL)
		require.NoError(t, err)
		_ = res.Body.Close()
		return res
	}

	assert.Equal(t, http.StatusTooManyRequests, get().StatusCode)
	assert.Equal(t, int32(1), hits.Load())
	clk.Advance(time.Second)
	res := get()
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "answered locally")
	assert.Equal(t, "2", res.Header.Get("Retry-After"), "the remaining wait")
	assert.Equal(t, int32(1), hits.Load(), "nothing reached the CA inside the window")
	_, at, ok := g.slot("", nil)
	assert.False(t, ok)
	assert.Equal(t, time.Unix(1e9, 0).Add(3*time.Second), at)

	clk.Advance(2 * time.Second)
	assert.Equal(t, http.StatusOK, get().StatusCode)
	assert.Equal(t, int32(2), hits.Load())
}

// A 429 asking for hours (a limit of one set of names) silences the account
// for maxAccountHold only; the request that met it still reads the whole
// Retry-After.
func TestAccountGate_LongRetryAfterHoldsTheAccountForTheCapOnly(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "122400") // 34 hours
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	clk := clock.NewFake(time.Unix(1e9, 0))
	g := newAccountGate(clk, 2)
	hc := &http.Client{Transport: g.transport(http.DefaultTransport)}
	res, err := hc.Get(srv.URL)
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, "122400", res.Header.Get("Retry-After"), "the limited request sees the CA's whole wait")

	clk.Advance(maxAccountHold - time.Second)
	res, err = hc.Get(srv.URL)
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "held within the cap")
	assert.Equal(t, int32(1), hits.Load())

	clk.Advance(time.Second)
	res, err = hc.Get(srv.URL)
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "the account's other work goes on after the cap")
	assert.Equal(t, int32(2), hits.Load())
}

// Slots bound the account's work in flight without blocking.
func TestAccountGate_SlotsBoundWorkInFlight(t *testing.T) {
	clk := clock.NewFake(time.Unix(1e9, 0))
	g := newAccountGate(clk, 2)
	r1, _, ok1 := g.slot("", nil)
	r2, _, ok2 := g.slot("", nil)
	_, at, ok3 := g.slot("", nil)
	require.True(t, ok1)
	require.True(t, ok2)
	assert.False(t, ok3)
	assert.Equal(t, clk.Now().Add(slotBusyPause), at)
	r1()
	r1() // releasing twice frees one slot only
	r3, _, ok := g.slot("", nil)
	assert.True(t, ok)
	_, _, ok = g.slot("", nil)
	assert.False(t, ok)
	r2()
	r3()
}

// A reconcile that found no slot is woken when one is given back, first
// come first served, once per key; the slot is kept for it, and lapses to
// the next waiter if it does not come.
func TestAccountGate_WakesWaitersInOrder(t *testing.T) {
	clk := clock.NewFake(time.Unix(1e9, 0))
	g := newAccountGate(clk, 1)
	var woken []string
	wake := func(k string) func() { return func() { woken = append(woken, k) } }
	r, _, ok := g.slot("a", wake("a"))
	require.True(t, ok)
	_, at, ok := g.slot("b", wake("b"))
	assert.False(t, ok)
	assert.Equal(t, clk.Now().Add(slotWakePause), at)
	_, _, _ = g.slot("c", wake("c"))
	_, _, _ = g.slot("b", wake("b")) // still queued once
	_, _, _ = g.slot("d", wake("d"))
	r()
	assert.Equal(t, []string{"b"}, woken)
	_, _, ok = g.slot("x", nil)
	assert.False(t, ok, "a newcomer does not take the slot kept for b")
	rb, _, ok := g.slot("b", nil)
	require.True(t, ok, "b gets the slot kept for it")
	rb()
	assert.Equal(t, []string{"b", "c"}, woken)

	// c never comes back: its slot lapses to d.
	clk.Advance(slotWakePause)
	_, _, ok = g.slot("x", nil)
	assert.False(t, ok)
	assert.Equal(t, []string{"b", "c", "d"}, woken)
	rd, _, ok := g.slot("d", nil)
	require.True(t, ok)
	rd()
	rx, _, ok := g.slot("x", nil)
	assert.True(t, ok, "no waiter left: the slot is free")
	rx()
}
