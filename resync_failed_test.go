package certflow

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// cutScan is a Store whose Scan of everything hands every object over,
// then fails as a Store cut off mid-scan does (no revision); scanned runs
// when it has handed them over.
type cutScan struct {
	*memory.Store
	scanned func()
}

func (s cutScan) Scan(ctx context.Context, opts store.ListOptions, fn func(store.Raw) error) (uint64, error) {
	rev, err := s.Store.Scan(ctx, opts, fn)
	if opts.Kind != "" || err != nil {
		return rev, err
	}
	s.scanned()
	return 0, errors.New("cut off")
}

// A Run whose first list fails lets go of what that list set up: the
// packer, whose dictionaries are copies of listed Secrets (private keys
// among them), and the listed reads, which would otherwise stay active,
// every read and write of the Manager passing through them, until
// another Run.
func TestRunWhoseFirstListFailsLetsGoOfTheList(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw, _, _ := issuedRig(t, ctx, 2)
	var m *Manager
	packed := false
	st := cutScan{Store: raw, scanned: func() {
		p := m.listed.packer.Load()
		packed = p != nil && len(p.dicts) > 0
	}}
	m, err := New(Config{Store: st})
	require.NoError(t, err)

	err = m.Run(ctx)
	require.ErrorContains(t, err, "initial list")
	require.True(t, packed, "the scan packed Secrets against a copy of one")
	assert.True(t, m.listed.packer.Load() == nil, "the packer and its dictionaries") // not printed: they hold Secrets
	assert.True(t, m.listed.passing(), "the listed reads ended")
}
