package certflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/store"
)

// TestGC_OwnerChecksReadNoOwnerTheWatchShowsPresent: before a request is
// reconciled its owner is checked, and an owner the watch (or the start's
// list) has shown present and not deleted since is not read from the
// Store; an owner deleted meanwhile is still found gone, and what it owned
// collected.
func TestGC_OwnerChecksReadNoOwnerTheWatchShowsPresent(t *testing.T) {
	reads := &ownerReads{n: map[meta.Ref]int{}}
	reconciled := make(chan meta.Ref, 16)
	ctx := context.Background()
	listed := testrig.ACMECertificate("default", "listed", "acme", "listed.example.test")
	h := startHooked(t, func(c *Config) {
		// Listed at the start: a Certificate owning a request, so the
		// index knows Certificates own things.
		require.NoError(t, c.Store.Create(ctx, listed))
		require.NoError(t, c.Store.Create(ctx, ownedRequest(meta.RefOf(listed), "listed-1")))
		reads.Store = c.Store
		c.Store = reads
	}, func(m *Manager) {
		for k := range m.reconcilers {
			m.reconcilers[k] = reconcileFunc(func(_ context.Context, ref meta.Ref) (time.Time, error) {
				if ref.Kind == meta.KindCertificateRequest {
					select {
					case reconciled <- ref:
					default:
					}
				}
				return time.Time{}, nil
			})
		}
	})
	awaitReconciled := func(want meta.Ref) {
		t.Helper()
		for {
			select {
			case got := <-reconciled:
				if got == want {
					return
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("%s was not reconciled", want)
			}
		}
	}
	awaitReconciled(meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "listed-1"})
	assert.Zero(t, reads.of(meta.RefOf(listed)), "a listed owner is not read")

	web := testrig.ACMECertificate("default", "web", "acme", "web.example.test")
	require.NoError(t, h.store.Create(ctx, web))
	// The index is the Manager's own state, which no Store change announces.
	testrig.Poll(t, h.ctx, "the Certificate is seen", func() bool { return h.m.owners.knownPresent(meta.RefOf(web)) })
	req := ownedRequest(meta.RefOf(web), "web-1")
	require.NoError(t, h.store.Create(ctx, req))
	awaitReconciled(meta.RefOf(req))
	assert.Zero(t, reads.of(meta.RefOf(web)), "an owner the watch delivered is not read")

	require.NoError(t, h.store.Delete(ctx, meta.RefOf(web), ""))
	h.waitUntil("the request of the deleted Certificate is collected", func() bool { return gone(h.store, meta.RefOf(req)) })
	assert.False(t, h.m.owners.knownPresent(meta.RefOf(web)), "deleted")

	// A request whose owner the watch never showed: its owner is read,
	// and found gone.
	orphan := ownedRequest(testrig.CertRef("default", "never"), "never-1")
	require.NoError(t, h.store.Create(ctx, orphan))
	h.waitUntil("the request of a Certificate that never existed is collected", func() bool { return gone(h.store, meta.RefOf(orphan)) })
	assert.Positive(t, reads.of(testrig.CertRef("default", "never")), "an owner never seen is read")
}

func ownedRequest(owner meta.Ref, name string) *request.CertificateRequest {
	return &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: owner.Namespace, Name: name, OwnerRefs: []meta.Ref{owner}}}
}

// ownerReads counts the Gets of each Certificate.
type ownerReads struct {
	store.Store
	mu sync.Mutex
	n  map[meta.Ref]int
}

func (s *ownerReads) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	if ref.Kind == meta.KindCertificate {
		s.mu.Lock()
		s.n[ref]++
		s.mu.Unlock()
	}
	return s.Store.Get(ctx, ref, into)
}

func (s *ownerReads) of(ref meta.Ref) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n[ref]
}
