package replicasuite

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// heldRig is replica B held before its step, with its watch held, and
// what the step is for as the Store held it then.
type heldRig struct {
	*Rig
	t          *testing.T
	step       CAStep
	crt        *certificate.Certificate
	order      *order.Order
	challenges []*challenge.Challenge
	before     map[acmetest.Endpoint]int // the CA's counts when B was held
	beforeOld  map[string]int            // oldPosts when B was held
}

// startHeld starts replica B on one Certificate, holding step's claim,
// waits until B is at it, and holds B's watch.
func startHeld(t *testing.T, ctx context.Context, cfg Config, step CAStep) *heldRig {
	t.Helper()
	crt := testrig.ACMECertificate(Namespace, "owned", IssuerName, "owned."+ZoneHTTP01)
	cfg.Replicas = 1
	cfg.Objects = append(cfg.Objects, crt)
	cfg.Control = func(int) *replicatest.Control {
		return &replicatest.Control{HoldClaims: []replicatest.ClaimPattern{step.Claim}}
	}
	h := &heldRig{Rig: Start(t, ctx, cfg), t: t, step: step, crt: crt}
	claim, err := h.Cluster.AwaitClaimHeld(ctx, 0)
	require.NoError(t, err)
	require.NoError(t, h.Cluster.HoldWatch(ctx, 0))
	require.NoError(t, h.Store.Get(ctx, meta.RefOf(crt), crt))
	orders, err := store.ListOf[order.Order](ctx, h.Store, store.ListOptions{Kind: meta.KindOrder, Namespace: Namespace})
	require.NoError(t, err)
	require.Len(t, orders, 1, "one Order, held before %s (claim %s)", step.Name, claim)
	h.order = orders[0]
	h.challenges, err = store.ListOf[challenge.Challenge](ctx, h.Store, store.ListOptions{Kind: meta.KindChallenge, Namespace: Namespace})
	require.NoError(t, err)
	if step.Endpoint == acmetest.EndpointChallenge {
		require.NotEmpty(t, h.challenges, "a Challenge held before its accept")
	}
	h.before, h.beforeOld = h.counts(), h.oldPosts()
	return h
}

// oldPosts counts the CA's accepts of the held Order's challenges and
// finalizes of the held Order, by request path.
func (h *heldRig) oldPosts() map[string]int {
	out := map[string]int{}
	if u := h.order.Status.FinalizeURL; u != "" {
		p := pathOf(h.t, u)
		out[p] = h.CA.PostsPerPath(acmetest.EndpointFinalize)[p]
	}
	for _, ch := range h.challenges {
		p := pathOf(h.t, ch.Spec.URL)
		out[p] = h.CA.PostsPerPath(acmetest.EndpointChallenge)[p]
	}
	return out
}

// counts are the CA's requests to each endpoint of CASteps.
func (h *heldRig) counts() map[acmetest.Endpoint]int {
	out := map[acmetest.Endpoint]int{}
	for _, s := range CASteps() {
		out[s.Endpoint] = h.CA.Requests(s.Endpoint)
	}
	return out
}

// stepRefused lets B take its claim, on the Store as it is now, and waits
// until the step ended: B must have refused it for the gone owner, before
// it started, the CA must have been asked nothing, and B must collect the
// Order without its watch's word.
func (h *heldRig) stepRefused() {
	h.t.Helper()
	require.NoError(h.t, h.Cluster.OpenClaims(h.Ctx, 0))
	var done replicatest.Event
	require.NoError(h.t, h.Cluster.Await(h.Ctx, func(events []replicatest.Event) bool {
		for _, e := range events {
			if e.Type == replicatest.ReportEffect && h.step.Reports(e.Step) && e.Phase == replicatest.PhaseDone {
				done = e
				return true
			}
		}
		return false
	}), "B's %s ended", h.step.Name)
	assert.Equal(h.t, h.before, h.counts(), "no %s for a deleted owner", h.step.Name)
	assert.False(h.t, done.Ran, "the %s never started", h.step.Name)
	assert.True(h.t, done.OwnerGone, "the %s was refused for its gone owner: %s", h.step.Name, done.Err)
	// B collects what the gone owner owned itself, its watch still held.
	testrig.Await(h.t, h.Ctx, h.Store, "B collected the held Order", func() bool {
		return h.gone(meta.RefOf(h.order), h.order.ObjectMeta.UID)
	}, h.left)
}

// gone reports whether the object ref with uid is gone from the Store (a
// newer object of the same name is not it).
func (h *heldRig) gone(ref meta.Ref, uid string) bool {
	res, err := h.Store.List(h.Ctx, store.ListOptions{Kind: ref.Kind, Namespace: ref.Namespace})
	require.NoError(h.t, err)
	for _, raw := range res.Items {
		if raw.Ref != ref {
			continue
		}
		om, err := meta.ObjectMetaOf(raw.Data)
		require.NoError(h.t, err)
		return om.UID != uid
	}
	return true
}

// left lists the requests, Orders and Challenges left in the namespace,
// for a failure message.
func (h *heldRig) left() string {
	var b strings.Builder
	for _, k := range []meta.Kind{meta.KindCertificateRequest, meta.KindOrder, meta.KindChallenge} {
		res, err := h.Store.List(context.Background(), store.ListOptions{Kind: k, Namespace: Namespace})
		if err != nil {
			return err.Error()
		}
		for _, raw := range res.Items {
			fmt.Fprintf(&b, "%s: %s\n", raw.Ref, raw.Data)
		}
	}
	return b.String()
}

func pathOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Path
}
