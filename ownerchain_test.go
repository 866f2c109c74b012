package certflow

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// caSteps are the steps the CA counts against a Certificate, each with its
// claim (which replicaB holds at a gate) and where the CA counts it.
var caSteps = []struct {
	name     string
	claim    func(name string) bool
	endpoint acmetest.Endpoint
}{
	{"newOrder", func(n string) bool { return strings.HasPrefix(n, "acme-new-order:") }, acmetest.EndpointNewOrder},
	{"accept", func(n string) bool { return strings.HasPrefix(n, "challenge:") && strings.HasSuffix(n, ":accept") },
		acmetest.EndpointChallenge},
	{"finalize", func(n string) bool { return strings.HasPrefix(n, "acme-finalize:") }, acmetest.EndpointFinalize},
}

// Two replicas share one Store. Replica A deletes a Certificate while
// replica B is about to take a step the CA counts against it, and B's watch
// has not delivered the deletion (held back here; across processes, its
// lag): B must not take the step. A's Delete is caught between deleting the
// Certificate and collecting its request, so the request, its Order and
// Challenge are all still stored: only the Certificate at the top of the
// chain says the step is for nobody. B then collects what the Certificate
// owned itself, and once A's Delete ends, nothing is left that drives the
// CA, and it was asked nothing more (a Challenge whose accept intent is on
// record reads its authorization and is abandoned without accepting).
func TestReplicas_NoCAStepForACertificateAnotherReplicaDeleted(t *testing.T) {
	for _, tc := range caSteps {
		t.Run(tc.name, func(t *testing.T) {
			r := startReplicaB(t, tc.claim)
			before := r.h.acme.Requests(tc.endpoint)

			r.b.holdWatch()
			a := &replicaA{Store: r.st, reached: make(chan struct{}), open: make(chan struct{})}
			cfgA := r.h.cfg
			cfgA.Store = a
			ma, err := New(cfgA)
			require.NoError(t, err)
			deleted := make(chan error, 1)
			go func() { deleted <- ma.Delete(r.h.ctx, meta.RefOf(r.crt)) }()
			select {
			case <-a.reached:
			case <-r.h.ctx.Done():
				t.Fatal("A never came to collect the Certificate's request")
			}
			require.True(t, gone(r.st, meta.RefOf(r.crt)), "the Store shows the Certificate deleted")
			require.False(t, gone(r.st, r.order), "and its Order not yet collected")

			r.stepNotTaken(tc.name, tc.endpoint, before)

			close(a.open)
			select {
			case err := <-deleted:
				require.NoError(t, err)
			case <-r.h.ctx.Done():
				t.Fatal("A's Delete did not return")
			}
			r.b.releaseWatch()
			r.nothingLeft()
			assert.Equal(t, before, r.h.acme.Requests(tc.endpoint), "no %s afterwards either", tc.name)
		})
	}
}

// A Certificate deleted by this replica while its Challenge is presented
// and about to be accepted: the accept is refused (the owner is gone), the
// Order is collected, and the Challenge, left to clean up first, is
// collected as soon as it has, while the Manager runs. Its clean-up's write
// asks for no visit of its own (the visit that wrote it decided on it), so
// only the look after that visit can collect it.
func TestOrphanChallengeCollectedAfterCleanUp(t *testing.T) {
	r := startReplicaB(t, caSteps[1].claim)
	before := r.h.acme.Requests(acmetest.EndpointChallenge)
	require.NoError(t, r.h.m.Delete(r.h.ctx, meta.RefOf(r.crt)))
	close(r.b.open)
	r.nothingLeft()
	assert.Equal(t, before, r.h.acme.Requests(acmetest.EndpointChallenge), "no accept for a deleted Certificate")
}

// A broken hop in the middle of the chain stops the step too: the request
// is deleted (as the Certificate's reconciler on replica A deletes one it
// abandons) while its Certificate stays, and B's watch has not told B.
func TestReplicas_NoCAStepForARequestAnotherReplicaDeleted(t *testing.T) {
	for _, tc := range caSteps {
		t.Run(tc.name, func(t *testing.T) {
			r := startReplicaB(t, tc.claim)
			before := r.h.acme.Requests(tc.endpoint)
			r.b.holdWatch()
			reqs, err := r.st.List(r.h.ctx, store.ListOptions{Kind: meta.KindCertificateRequest, Namespace: "default"})
			require.NoError(t, err)
			require.Len(t, reqs.Items, 1)
			require.NoError(t, r.st.Delete(r.h.ctx, reqs.Items[0].Ref, ""))
			r.stepNotTaken(tc.name, tc.endpoint, before)
			r.b.releaseWatch()
		})
	}
}

// replicaRig is replica B, run until its Certificate's step is at the gate.
type replicaRig struct {
	h     *acmeHarness
	b     *replicaB
	st    store.Store // the shared Store, as it is
	crt   *certificate.Certificate
	order meta.Ref
}

func startReplicaB(t *testing.T, claim func(string) bool) *replicaRig {
	t.Helper()
	st := memory.New()
	b := &replicaB{Store: st, gated: claim, reached: make(chan struct{}), open: make(chan struct{})}
	h := startACME(t, acmeSetup{store: b})
	require.NoError(t, h.m.Apply(h.ctx, h.acme.Issuer("default", "acme")))
	crt := testrig.ACMECertificate("default", "web", "acme", "web.example.test")
	require.NoError(t, h.m.Apply(h.ctx, crt))
	select {
	case <-b.reached:
	case <-h.ctx.Done():
		t.Fatal("B never came to the step")
	}
	orders, err := st.List(h.ctx, store.ListOptions{Kind: meta.KindOrder, Namespace: "default"})
	require.NoError(t, err)
	require.Len(t, orders.Items, 1)
	return &replicaRig{h: h, b: b, st: st, crt: crt, order: orders.Items[0].Ref}
}

// nothingLeft waits until the deleted Certificate's request, Order and
// Challenge are all collected: none is left to drive the CA or to wait for
// a resync that a running Manager may never have.
func (r *replicaRig) nothingLeft() {
	r.h.t.Helper()
	testrig.Await(r.h.t, r.h.ctx, r.st, "no request, Order or Challenge left", func() bool {
		for _, k := range []meta.Kind{meta.KindCertificateRequest, meta.KindOrder, meta.KindChallenge} {
			res, err := r.st.List(r.h.ctx, store.ListOptions{Kind: k, Namespace: "default"})
			require.NoError(r.h.t, err)
			if len(res.Items) > 0 {
				return false
			}
		}
		return true
	}, r.left)
}

// left lists what is left in the namespace, for a failure message. A
// Secret shows its metadata only: its data holds a private key.
func (r *replicaRig) left() string {
	res, err := r.st.List(context.Background(), store.ListOptions{Namespace: "default"})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, raw := range res.Items {
		switch raw.Ref.Kind {
		case meta.KindEvent:
		case meta.KindSecret:
			om, err := meta.ObjectMetaOf(raw.Data)
			if err != nil {
				fmt.Fprintf(&b, "%s: (unreadable: %v)\n", raw.Ref, err)
				continue
			}
			fmt.Fprintf(&b, "%s: metadata %+v (data not shown)\n", raw.Ref, om)
		default:
			fmt.Fprintf(&b, "%s: %s\n", raw.Ref, raw.Data)
		}
	}
	return b.String()
}

// stepNotTaken lets B take its step, on the Store as it is now, and checks
// that B collected the Order instead of asking the CA.
func (r *replicaRig) stepNotTaken(step string, endpoint acmetest.Endpoint, before int) {
	r.h.t.Helper()
	close(r.b.open)
	// Awaited on the Store itself: B's watch is held.
	testrig.Await(r.h.t, r.h.ctx, r.st, "B collected the Order, or took its step", func() bool {
		return gone(r.st, r.order) || r.h.acme.Requests(endpoint) > before
	}, nil)
	assert.Equal(r.h.t, before, r.h.acme.Requests(endpoint), "no %s for a deleted owner", step)
}

// replicaB is the Store as replica B sees it: its claims of one step wait
// until open is closed, and its watch can be held back.
type replicaB struct {
	store.Store
	gated   func(claim string) bool
	reached chan struct{} // closed when the first gated claim is asked for
	once    sync.Once
	open    chan struct{}

	mu   sync.Mutex
	held chan struct{} // while not nil, no watch event is delivered
}

func (s *replicaB) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	if s.gated(name) {
		s.once.Do(func() { close(s.reached) })
		select {
		case <-s.open:
		case <-ctx.Done():
			return store.Lease{}, ctx.Err()
		}
	}
	return s.Store.Acquire(ctx, name, owner, ttl)
}

func (s *replicaB) holdWatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = make(chan struct{})
}

func (s *replicaB) releaseWatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.held)
	s.held = nil
}

// Watch delivers the Store's changes, each only while the watch is not
// held: a change made while it is held (A's deletion) waits for release.
func (s *replicaB) Watch(ctx context.Context, from uint64) (<-chan store.WatchEvent, error) {
	in, err := s.Store.Watch(ctx, from)
	if err != nil {
		return nil, err
	}
	out := make(chan store.WatchEvent)
	go func() {
		defer close(out)
		for ev := range in {
			s.mu.Lock()
			held := s.held
			s.mu.Unlock()
			if held != nil {
				select {
				case <-held:
				case <-ctx.Done():
					return
				}
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// replicaA is the Store as replica A sees it: its Delete of a request (the
// collection of a deleted Certificate's children) waits until open is
// closed. replicasuite's collectGate is the same gate; this package's own
// tests cannot import it (replicasuite imports certflow).
type replicaA struct {
	store.Store
	reached chan struct{}
	once    sync.Once
	open    chan struct{}
}

func (s *replicaA) Delete(ctx context.Context, ref meta.Ref, rv string) error {
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
