package order_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/acme"

	"github.com/certflow/certflow/clock"
	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
	"github.com/certflow/certflow/solver"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// countingSlots hands out every slot asked for and counts what is held.
type countingSlots struct {
	mu            sync.Mutex
	taken, held   int
	lastKeyAsked  string
	refuseRetryAt time.Time // if set, no slot is handed out
}

func (c *countingSlots) Slot(_ issuer.Object, key string, _ func()) (func(), time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastKeyAsked = key
	if !c.refuseRetryAt.IsZero() {
		return nil, c.refuseRetryAt, false
	}
	c.taken++
	c.held++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.held--
		})
	}, time.Time{}, true
}

// panickyStore panics when a claim is taken, as a bug below Execute would.
type panickyStore struct{ *memory.Store }

func (panickyStore) Acquire(context.Context, string, string, time.Duration) (store.Lease, error) {
	panic("boom")
}

// ownerStore records the owners of the claims taken.
type ownerStore struct {
	*memory.Store
	mu     sync.Mutex
	owners []string
}

func (s *ownerStore) Acquire(ctx context.Context, name, owner string, ttl time.Duration) (store.Lease, error) {
	s.mu.Lock()
	s.owners = append(s.owners, owner)
	s.mu.Unlock()
	return s.Store.Acquire(ctx, name, owner, ttl)
}

// seedOrder stores an ACME issuer and an Order that needs newOrder.
func seedOrder(ctx context.Context, t *testing.T, st store.Store) meta.Ref {
	t.Helper()
	require.NoError(t, st.Create(ctx, &issuer.Issuer{
		ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: "acme"},
		Spec: issuer.Spec{ACME: &issuer.ACMEIssuer{Server: "https://ca.invalid/dir",
			PrivateKeySecretRef: meta.LocalRef{Name: "k"}, Solvers: []solver.Config{{HTTP01: &solver.HTTP01Config{}}}}},
	}))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	csr, err := pki.CreateCSR(key, pki.CSRTemplate{DNSNames: []string{"slot.example.test"}})
	require.NoError(t, err)
	o := &order.Order{ObjectMeta: meta.ObjectMeta{Namespace: ns, Name: "o"},
		Spec: order.Spec{Request: csr, IssuerRef: meta.IssuerRef{Name: "acme"}, DNSNames: []string{"slot.example.test"}}}
	require.NoError(t, st.Create(ctx, o))
	return meta.RefOf(o)
}

func offlineClient(t *testing.T) staticClients {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return staticClients{&acme.Client{Key: key, DirectoryURL: "https://ca.invalid/dir"}}
}

// A panic while the step runs (the Manager recovers it) gives the
// account's slot back: a leaked one per panic would block the account.
func TestPanicInExecuteGivesTheSlotBack(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	mem := memory.New()
	ref := seedOrder(ctx, t, mem)
	slots := &countingSlots{}
	r := order.NewReconciler(reconcile.Deps{Store: panickyStore{mem}, Clock: clock.Real{}, Events: &recorder{}, Owner: "m"},
		order.Options{Clients: offlineClient(t), Accounts: slots})
	for range 4 {
		func() {
			defer func() { _ = recover() }()
			_, _ = r.Reconcile(ctx, ref)
		}()
	}
	assert.Equal(t, 4, slots.taken)
	assert.Equal(t, 0, slots.held, "every slot was given back")
}

// The claims of an order are taken under the Manager's owner token when it
// has one; LockOwner is the fallback for a reconciler without one.
func TestClaimsUseTheManagersOwner(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	for _, tc := range []struct{ deps, lock, want string }{
		{"manager-1", "configured", "manager-1"},
		{"", "configured", "configured"},
	} {
		st := &ownerStore{Store: memory.New()}
		ref := seedOrder(ctx, t, st)
		r := order.NewReconciler(reconcile.Deps{Store: st, Clock: clock.Real{}, Events: &recorder{}, Owner: tc.deps},
			order.Options{Clients: offlineClient(t), LockOwner: tc.lock, RequestTimeout: time.Second})
		_, _ = r.Reconcile(ctx, ref)
		require.NotEmpty(t, st.owners)
		for _, o := range st.owners {
			assert.Equal(t, tc.want, o)
		}
	}
}
