package certflow

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// The CA's fetch of an HTTP-01 answer through the Manager's handler times
// the look at the authorization: on a fake clock that stands still while
// the CA validates, the accept's visit sees the fetch, waits the quiet gap
// (wall clock: the CA fetches in real time) and looks, well before the
// blind first pause is due. Without the handler telling the Challenge
// reconciler (challenge.Fetches.Served), no look comes before the fake
// clock passes the blind pause, and the challenge is still processing.
func TestFetchThroughTheHandlerBringsTheLookForward(t *testing.T) {
	s := startBudget(t, budgetSetup{})
	s.issuerReady(s.h.acme.Issuer("default", "acme"))
	crt := testrig.ACMECertificate("default", "fetched", "acme", "fetched.example.test")
	s.certRef = meta.RefOf(crt)
	require.NoError(t, s.h.m.Apply(s.h.ctx, crt))
	require.True(t, s.settle(), "the accept, the CA's validation and the look")
	ord := onlyOrder(t, s)
	require.True(t, s.clk.Now().Before(ord.ObjectMeta.CreationTime.Add(acmeproto.DefaultFirstPoll)), "the fake clock has not reached the blind pause")
	for _, ch := range challenges(t, s) {
		assert.NotEqual(t, challenge.StateProcessing, ch.Status.State, "looked at after the fetch, before the blind pause")
	}
	assert.Equal(t, order.StateValid, ord.Status.State, "the look saw the verdict and the Order went on")
}

// onlyOrder reads the simulation's one Order.
func onlyOrder(t *testing.T, s *budgetSim) *order.Order {
	t.Helper()
	all, err := s.st.List(s.h.ctx, store.ListOptions{})
	require.NoError(t, err)
	var found []*order.Order
	for _, raw := range all.Items {
		if raw.Ref.Kind == meta.KindOrder {
			o := &order.Order{}
			require.NoError(t, raw.Decode(o))
			found = append(found, o)
		}
	}
	require.Len(t, found, 1)
	return found[0]
}

// challenges reads the simulation's Challenges (one is removed once its
// Order is done with it).
func challenges(t *testing.T, s *budgetSim) []*challenge.Challenge {
	t.Helper()
	all, err := s.st.List(s.h.ctx, store.ListOptions{})
	require.NoError(t, err)
	var found []*challenge.Challenge
	for _, raw := range all.Items {
		if raw.Ref.Kind == meta.KindChallenge {
			ch := &challenge.Challenge{}
			require.NoError(t, raw.Decode(ch))
			found = append(found, ch)
		}
	}
	return found
}
