package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
)

func testLocks(ctx context.Context, t *testing.T, h *harness) {
	const ttl = 10 * time.Second
	l1, err := h.s.Acquire(ctx, "leader", "one", ttl)
	require.NoError(t, err)
	assert.Equal(t, store.Lease{Name: "leader", Owner: "one", TTL: ttl, Expires: h.clk.Now().Add(ttl)}, l1)

	_, err = h.s.Acquire(ctx, "leader", "two", ttl)
	assert.ErrorIs(t, err, store.ErrLocked)
	_, err = h.s.Acquire(ctx, "other", "two", ttl)
	assert.NoError(t, err, "locks are independent")

	h.clk.Advance(time.Second)
	again, err := h.s.Acquire(ctx, "leader", "one", ttl)
	require.NoError(t, err, "acquiring a held lock renews it")
	assert.True(t, again.Expires.Equal(h.clk.Now().Add(ttl)))

	h.clk.Advance(time.Second)
	renewed, err := h.s.Renew(ctx, l1)
	require.NoError(t, err)
	assert.True(t, renewed.Expires.Equal(h.clk.Now().Add(ttl)))

	intruder := store.Lease{Name: "leader", Owner: "two", TTL: ttl}
	_, err = h.s.Renew(ctx, intruder)
	assert.ErrorIs(t, err, store.ErrLeaseLost, "only the owner renews")
	assert.ErrorIs(t, h.s.Release(ctx, intruder), store.ErrLeaseLost, "only the owner releases")
	_, err = h.s.Acquire(ctx, "leader", "two", ttl)
	assert.ErrorIs(t, err, store.ErrLocked, "a foreign release frees nothing")

	require.NoError(t, h.s.Release(ctx, renewed))
	assert.ErrorIs(t, h.s.Release(ctx, renewed), store.ErrLeaseLost, "a released lease is not held")
	_, err = h.s.Renew(ctx, renewed)
	assert.ErrorIs(t, err, store.ErrLeaseLost)
	_, err = h.s.Acquire(ctx, "leader", "two", ttl)
	assert.NoError(t, err, "a released lock is free")
}

func testLockExpiry(ctx context.Context, t *testing.T, h *harness) {
	const ttl = 10 * time.Second
	l1, err := h.s.Acquire(ctx, "leader", "one", ttl)
	require.NoError(t, err)
	h.clk.Advance(ttl - time.Second)
	_, err = h.s.Acquire(ctx, "leader", "two", ttl)
	assert.ErrorIs(t, err, store.ErrLocked, "still held just before expiry")

	h.clk.Advance(time.Second)
	_, err = h.s.Renew(ctx, l1)
	assert.ErrorIs(t, err, store.ErrLeaseLost, "an expired lease cannot be renewed")
	l2, err := h.s.Acquire(ctx, "leader", "two", ttl)
	require.NoError(t, err, "an expired lease is free")
	assert.ErrorIs(t, h.s.Release(ctx, l1), store.ErrLeaseLost, "the old holder lost it")
	_, err = h.s.Renew(ctx, l2)
	assert.NoError(t, err, "the new holder keeps it")
}

func testLockInvalid(ctx context.Context, t *testing.T, h *harness) {
	for _, tc := range []struct {
		name, lock, owner string
		ttl               time.Duration
	}{
		{"empty name", "", "o", time.Second},
		{"traversal", "../x", "o", time.Second},
		{"slash", "a/b", "o", time.Second},
		{"empty owner", "l", "", time.Second},
		{"zero ttl", "l", "o", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.s.Acquire(ctx, tc.lock, tc.owner, tc.ttl)
			assert.ErrorIs(t, err, store.ErrInvalid)
		})
	}
}
