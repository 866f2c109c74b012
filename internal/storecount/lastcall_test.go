package storecount_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/internal/storecount"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store/memory"
)

// TestLastCallFollowsTheCalls: LastCall is the latest call's time to
// within a millisecond, from the first call on.
func TestLastCallFollowsTheCalls(t *testing.T) {
	ctx := context.Background()
	s := storecount.New(memory.New())
	ref := meta.Ref{Kind: meta.KindSecret, Namespace: "ns", Name: "a"}
	call := func() (before, after time.Time) {
		before = time.Now()
		_ = s.Get(ctx, ref, &secret.Secret{})
		return before, time.Now()
	}
	within := func(before, after time.Time) {
		t.Helper()
		last := s.LastCall()
		assert.False(t, last.Before(before.Add(-time.Millisecond)), "last %v, call from %v", last, before)
		assert.False(t, last.After(after), "last %v, call until %v", last, after)
	}
	assert.True(t, s.LastCall().IsZero(), "no call yet")
	within(call())
	first := s.LastCall()
	for start := time.Now(); time.Since(start) < 3*time.Millisecond; {
		// the clock has to move past the grain: nothing to await
	}
	within(call())
	assert.True(t, s.LastCall().After(first), "a later call moves it")
}
