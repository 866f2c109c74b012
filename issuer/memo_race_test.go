package issuer

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Visits on several workers read one issuer through the memo while its
// status is written: each gets a version the Store held, never older than
// one written before its read began (run with -race: what is shared is
// only read).
func TestMemo_ConcurrentReadsDuringUpdates(t *testing.T) {
	_, st, ref := memoFixture(t)
	ctx := context.Background()
	m := &Memo{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				obj, err := m.Get(ctx, st, ref)
				if !assert.NoError(t, err) {
					return
				}
				_ = obj.IssuerStatus().Conditions.Get("Ready")
				_ = len(obj.IssuerSpec().ACME.Solvers)
			}
		})
	}
	for range 50 {
		upd := &Issuer{}
		require.NoError(t, st.Get(ctx, ref, upd))
		upd.Status.ACME = &ACMEStatus{URI: "https://ca.example/acct/" + upd.ObjectMeta.ResourceVersion}
		require.NoError(t, st.Update(ctx, upd))
		got, err := m.Get(ctx, st, ref)
		require.NoError(t, err)
		require.Equal(t, upd.ObjectMeta.ResourceVersion, got.GetMeta().ResourceVersion, "a read after a write sees it")
	}
	close(stop)
	wg.Wait()
}
