package objects

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
)

func leaseOf(owner string, expires time.Time) *store.Lease {
	return &store.Lease{Name: "l", Owner: owner, TTL: time.Minute, Expires: expires}
}

func TestAcquire(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		cur     *store.Lease
		owner   string
		ttl     time.Duration
		wantErr error
	}{
		{"free", nil, "a", time.Minute, nil},
		{"own lease renews", leaseOf("a", now.Add(time.Second)), "a", time.Minute, nil},
		{"other's live lease", leaseOf("b", now.Add(time.Second)), "a", time.Minute, store.ErrLocked},
		{"other's lease expires now", leaseOf("b", now), "a", time.Minute, nil},
		{"other's expired lease", leaseOf("b", now.Add(-time.Second)), "a", time.Minute, nil},
		{"no owner", nil, "", time.Minute, store.ErrInvalid},
		{"no ttl", nil, "a", 0, store.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Acquire(tc.cur, "l", tc.owner, tc.ttl, now)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, store.Lease{Name: "l", Owner: tc.owner, TTL: tc.ttl, Expires: now.Add(tc.ttl)}, l)
		})
	}
}

func TestRenewAndRelease(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mine := store.Lease{Name: "l", Owner: "a", TTL: 2 * time.Minute}
	for _, tc := range []struct {
		name       string
		cur        *store.Lease
		wantErr    error
		wantRemove bool
	}{
		{"held", leaseOf("a", now.Add(time.Second)), nil, true},
		{"missing", nil, store.ErrLeaseLost, false},
		{"taken over", leaseOf("b", now.Add(time.Second)), store.ErrLeaseLost, false},
		{"expired", leaseOf("a", now), store.ErrLeaseLost, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Renew(tc.cur, mine, now)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, now.Add(2*time.Minute), l.Expires, "renewed by the lease's TTL")
			}
			remove, err := Release(tc.cur, mine, now)
			assert.Equal(t, tc.wantRemove, remove)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}
