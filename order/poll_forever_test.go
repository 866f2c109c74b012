package order

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// (1) Against a CA that keeps an order processing forever, the looks at
// it (getOrder, each at the time the one before set) grow from the learned
// pause, collapsed here to its floor, to MaxPollInterval, and end when the
// order fails at IssuingTimeout: about log2(4s/0.5ms) + IssuingTimeout/4s
// reads, never a tight loop.
func TestOrderProcessingForeverIsPolledBoundedAndGrowing(t *testing.T) {
	const issuing = time.Hour
	s := newSlowIssuer(t)
	s.finalized(1000 * time.Hour) // never issued while the test runs
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cl := &acme.Client{Key: key, KID: acme.KeyID(s.srv.URL + "/acct/1"), DirectoryURL: s.srv.URL + "/dir", HTTPClient: s.srv.Client(),
		RetryBackoff: func(int, *http.Request, *http.Response) time.Duration { return -1 }}
	polls := &acmeproto.FirstPolls{}
	for fp := polls.For(cl.DirectoryURL, orderKind); fp.Pause() > acmeproto.MinFirstPoll; {
		fp.Observe(true)
	}
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	r := NewReconciler(reconcile.Deps{Clock: clk}, Options{FirstPolls: polls, IssuingTimeout: issuing})
	created := clk.Now()
	v := &visit{cl: cl, o: &Order{ObjectMeta: meta.ObjectMeta{CreationTime: &created},
		Status: Status{URL: s.srv.URL + "/order/1", State: StateProcessing}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var gaps []time.Duration
	for looks := 0; ; looks++ {
		require.Less(t, looks, 100000, "looks without end")
		require.NoError(t, r.getOrder(ctx, v))
		st := &v.o.Status
		if st.State.IsFinal() {
			require.Equal(t, StateErrored, st.State, st.Reason)
			break
		}
		require.NotNil(t, st.NotBefore)
		gap := st.NotBefore.Sub(clk.Now())
		require.Positive(t, gap, "look %d: the next one not later", looks)
		gaps = append(gaps, gap)
		clk.Set(*st.NotBefore)
	}
	for i := 1; i < len(gaps); i++ {
		if gaps[i-1] < acmeproto.DefaultMaxPoll {
			assert.GreaterOrEqual(t, gaps[i], gaps[i-1], "gap %d shorter than the one before", i)
		}
		assert.LessOrEqual(t, gaps[i], acmeproto.DefaultMaxPoll, "gap %d", i)
	}
	reads := s.readsSince(0)
	most := int(math.Ceil(math.Log2(float64(acmeproto.DefaultMaxPoll/acmeproto.MinFirstPoll)))) + int(issuing/acmeproto.DefaultMaxPoll) + 2
	t.Logf("%d reads in %v; first gaps %v", reads, issuing, gaps[:min(len(gaps), 16)])
	assert.LessOrEqual(t, reads, most)
}
