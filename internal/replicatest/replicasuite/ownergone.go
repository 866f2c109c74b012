package replicasuite

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow"
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/replicatest"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// CAStep is a step the CA counts against a Certificate, taken under a
// claim: where a replica is held before it (Claim), the name its effect
// reports (Effect), and where the CA counts it (Endpoint).
type CAStep struct {
	Name     string
	Claim    replicatest.ClaimPattern
	Effect   string
	Endpoint acmetest.Endpoint
}

// CASteps are the steps a replica must not take for a deleted owner:
// newOrder, accept and finalize.
func CASteps() []CAStep {
	return []CAStep{
		{"newOrder", replicatest.ClaimPattern{Prefix: "acme-new-order:"}, "new order", acmetest.EndpointNewOrder},
		{"accept", replicatest.ClaimPattern{Prefix: "challenge:", Suffix: ":accept"}, "accept", acmetest.EndpointChallenge},
		{"finalize", replicatest.ClaimPattern{Prefix: "acme-finalize:"}, "finalize", acmetest.EndpointFinalize},
	}
}

// NoCAStepForADeletedCertificate: replica B (the one replica process,
// cfg.Replicas is ignored) issues a Certificate and is held before step,
// its watch held too; replica A (a Manager in this process, on cfg.Parent)
// deletes the Certificate and is caught before collecting its request, so
// the request, its Order and Challenge are all still stored and only the
// Certificate at the top of the chain says the step is for nobody. B, let
// go with its stale view, must refuse the step (the CA is asked nothing)
// and collect the Order itself; once A's Delete ends and B's watch
// delivers, no request, Order or Challenge is left and the CA was asked
// nothing more.
func NoCAStepForADeletedCertificate(t *testing.T, cfg Config, step CAStep) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	h := startHeld(t, ctx, cfg, step)

	a := &collectGate{Store: cfg.Parent, reached: make(chan struct{}), open: make(chan struct{})}
	ma, err := certflow.New(certflow.Config{Store: a, HTTPClient: h.CA.Client()})
	require.NoError(t, err)
	deleted := make(chan error, 1)
	go func() { deleted <- ma.Delete(ctx, meta.RefOf(h.crt)) }()
	select {
	case <-a.reached:
	case err := <-deleted:
		t.Fatalf("A's Delete ended before it collected the request: %v", err)
	case <-ctx.Done():
		t.Fatal("A never came to collect the Certificate's request")
	}
	require.True(t, h.gone(meta.RefOf(h.crt), h.crt.ObjectMeta.UID), "the Store shows the Certificate deleted")
	require.False(t, h.gone(meta.RefOf(h.order), h.order.ObjectMeta.UID), "and its Order not yet collected")
	require.NoError(t, h.Cluster.AwaitWatchHeld(ctx, 0, meta.RefOf(h.crt), string(store.Deleted)),
		"B's watch holds the deletion: B would learn of it, and has not")

	h.stepRefused()

	close(a.open)
	select {
	case err := <-deleted:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("A's Delete did not return")
	}
	require.NoError(t, h.Cluster.ReleaseWatch(ctx, 0))
	testrig.Await(t, ctx, cfg.Parent, "no request, Order or Challenge left", func() bool {
		for _, k := range []meta.Kind{meta.KindCertificateRequest, meta.KindOrder, meta.KindChallenge} {
			res, err := cfg.Parent.List(ctx, store.ListOptions{Kind: k, Namespace: Namespace})
			require.NoError(t, err)
			if len(res.Items) > 0 {
				return false
			}
		}
		return true
	}, h.left)
	assert.Equal(t, h.before, h.counts(), "the CA was asked nothing more")
}

// NoCAStepForADeletedRequest: as NoCAStepForADeletedCertificate, but the
// hop deleted is in the middle of the chain: the Certificate's request,
// deleted by A (as A's Certificate reconciler deletes a request it
// abandons) while the Certificate stays. B, let go, refuses the step and
// collects the Order; once its watch delivers, it issues the Certificate
// again, the deleted request's Challenges are gone too, and none of them
// was accepted, nor the Order finalized, after B was held.
func NoCAStepForADeletedRequest(t *testing.T, cfg Config, step CAStep) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	h := startHeld(t, ctx, cfg, step)

	reqs, err := cfg.Parent.List(ctx, store.ListOptions{Kind: meta.KindCertificateRequest, Namespace: Namespace})
	require.NoError(t, err)
	require.Len(t, reqs.Items, 1)
	require.NoError(t, cfg.Parent.Delete(ctx, reqs.Items[0].Ref, ""))
	require.NoError(t, h.Cluster.AwaitWatchHeld(ctx, 0, reqs.Items[0].Ref, string(store.Deleted)),
		"B's watch holds the deletion: B would learn of it, and has not")

	h.stepRefused()

	require.NoError(t, h.Cluster.ReleaseWatch(ctx, 0))
	h.AwaitReady([]*certificate.Certificate{h.crt})
	testrig.Await(t, ctx, cfg.Parent, "the deleted request's Order and Challenges collected", func() bool {
		if !h.gone(meta.RefOf(h.order), h.order.ObjectMeta.UID) {
			return false
		}
		for _, ch := range h.challenges {
			if !h.gone(meta.RefOf(ch), ch.ObjectMeta.UID) {
				return false
			}
		}
		return true
	}, h.left)
	assert.Equal(t, h.beforeOld, h.oldPosts(), "the deleted request's order was never finalized, its challenges never accepted, after B was held")
}

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
			if e.Type == replicatest.ReportEffect && e.Step == h.step.Effect && e.Phase == replicatest.PhaseDone {
				done = e
				return true
			}
		}
		return false
	}), "B's %s ended", h.step.Name)
	assert.Equal(h.t, h.before, h.counts(), "no %s for a deleted owner", h.step.Name)
	assert.False(h.t, done.Ran, "the %s never started", h.step.Name)
	assert.Contains(h.t, done.Err, "is gone", "the %s was refused for its gone owner", h.step.Name)
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

// collectGate is the Store as replica A sees it: deleting a request (the
// collection of a deleted Certificate's children) waits until open is
// closed.
type collectGate struct {
	store.Store
	reached chan struct{} // closed when the first request is to be deleted
	once    sync.Once
	open    chan struct{}
}

func (s *collectGate) Delete(ctx context.Context, ref meta.Ref, rv string) error {
	if ref.Kind == meta.KindCertificateRequest {
		s.once.Do(func() { close(s.reached) })
		select {
		case <-s.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Store.Delete(ctx, ref, rv)
}
