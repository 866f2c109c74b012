package certflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/memory"
)

// TestDeletionVisitsOnlyKindsThatForgetSomething: the watch's deletion of
// a Challenge, an Order or a CertificateRequest queues no visit (their
// reconcilers keep nothing per object; an issuance deletes its Challenge,
// and that visit only read NotFound), and drops the object's timer; the
// deletion of an Issuer (whose visit forgets its ACME client) or a
// Certificate still queues one.
func TestDeletionVisitsOnlyKindsThatForgetSomething(t *testing.T) {
	m, err := New(Config{Store: memory.New()})
	require.NoError(t, err)
	ctx := context.Background()
	for kind, visited := range map[meta.Kind]bool{
		meta.KindChallenge:          false,
		meta.KindOrder:              false,
		meta.KindCertificateRequest: false,
		meta.KindIssuer:             true,
		meta.KindClusterIssuer:      true,
		meta.KindCertificate:        true,
	} {
		ref := meta.Ref{Kind: kind, Namespace: "ns", Name: "gone"}
		if kind == meta.KindClusterIssuer {
			ref.Namespace = ""
		}
		m.timers.Schedule(ref, m.cfg.Clock.Now().Add(1<<40))
		m.observe(ctx, store.WatchEvent{Type: store.Deleted, Ref: ref, Meta: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name, ResourceVersion: "7"}, Revision: 7})
		_, timed := m.timers.Scheduled(ref)
		assert.False(t, timed, "%s: its timer is dropped", kind)
		if !visited {
			assert.Zero(t, m.queue.Len(), "%s: a deletion queues no visit", kind)
			continue
		}
		require.Equal(t, 1, m.queue.Len(), "%s: a deletion queues a visit", kind)
		got, ok := m.queue.Get(ctx)
		require.True(t, ok)
		assert.Equal(t, ref, got)
		m.queue.Done(got)
	}
}

// TestDeletionDuringAVisitLeavesNothingBehind: a Challenge, an Order or a
// CertificateRequest deleted while a visit of it is in flight is visited
// once more when that visit ends, and that visit clears the backoff timer
// and the retry or at-once count the one in flight left (its write failed
// on the object that was gone, or it asked to be looked at again at
// once). Alone, the visit finds it gone; with work shared, the deletion
// forgot its owners, so it is keyed by itself and, here, found to be
// another replica's, which clears them just the same.
func TestDeletionDuringAVisitLeavesNothingBehind(t *testing.T) {
	endings := map[string]func(m *Manager, ref meta.Ref){
		"failed": func(m *Manager, ref meta.Ref) {
			m.retries.inc(ref)
			m.timers.Schedule(ref, m.cfg.Clock.Now().Add(5*time.Minute))
		},
		"due at once": func(m *Manager, ref meta.Ref) {
			for range atOnceFreeRounds + 1 {
				m.atOnce.inc(ref)
			}
			m.timers.Schedule(ref, m.cfg.Clock.Now().Add(atOnceBackoff(1)))
		},
	}
	for _, shared := range []bool{false, true} {
		for ending, end := range endings {
			for _, kind := range []meta.Kind{meta.KindChallenge, meta.KindOrder, meta.KindCertificateRequest} {
				name := fmt.Sprintf("%s/shared=%t/%s", kind, shared, ending)
				m, err := New(Config{Store: memory.New(), ShareWork: shared})
				require.NoError(t, err)
				ctx := context.Background()
				ref := meta.Ref{Kind: kind, Namespace: "ns", Name: "gone"}
				if shared {
					// The Certificate is this replica's; the object
					// keyed by itself would be the other's.
					shareWithAnother(m)
					ref = refInShare(m, kind, false)
					m.owners.set(ref, []meta.Ref{refInShare(m, meta.KindCertificate, true)}, 0)
				}
				m.queue.Add(ref)
				got, ok := m.queue.Get(ctx)
				require.True(t, ok)
				require.Equal(t, ref, got)
				require.True(t, m.mine(ctx, ref), "%s: the visit in flight is this replica's", name)

				m.observe(ctx, store.WatchEvent{Type: store.Deleted, Ref: ref, Meta: meta.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name, ResourceVersion: "7"}, Revision: 7})
				end(m, ref) // as reconcileOne ends the visit in flight
				m.queue.Done(got)

				visits := 0
				for m.queue.Len() > 0 {
					got, ok := m.queue.Get(ctx)
					require.True(t, ok)
					require.Equal(t, ref, got, "%s: only the deleted object is visited", name)
					m.visit(ctx, got)
					m.queue.Done(got)
					visits++
				}
				assert.Equal(t, 1, visits, "%s: the visit in flight is redone once", name)
				_, timed := m.timers.Scheduled(ref)
				assert.False(t, timed, "%s: no timer is left", name)
				assert.NotContains(t, m.retries.n, ref, "%s: no retry count is left", name)
				assert.NotContains(t, m.atOnce.n, ref, "%s: no at-once count is left", name)
			}
		}
	}
}

// TestAnotherReplicasObjectKeepsItsStateOnAGuess: with work shared, an
// object found to be another replica's by its own key because its owners
// could not be read (not because it is gone) keeps its timer and retry
// count here: it may still be this replica's.
func TestAnotherReplicasObjectKeepsItsStateOnAGuess(t *testing.T) {
	st := &refusingGets{Store: memory.New()}
	m, err := New(Config{Store: st, ShareWork: true})
	require.NoError(t, err)
	ctx := context.Background()
	shareWithAnother(m)
	ref := refInShare(m, meta.KindCertificateRequest, false)
	m.retries.inc(ref)
	m.timers.Schedule(ref, m.cfg.Clock.Now().Add(5*time.Minute))

	st.refuse.Store(true)
	m.visit(ctx, ref)
	_, timed := m.timers.Scheduled(ref)
	assert.True(t, timed, "its owners unread, its timer is kept")
	assert.Contains(t, m.retries.n, ref, "its owners unread, its retry count is kept")

	st.refuse.Store(false)
	m.visit(ctx, ref)
	_, timed = m.timers.Scheduled(ref)
	assert.False(t, timed, "found gone, it is another's: its timer is dropped")
	assert.NotContains(t, m.retries.n, ref, "found gone, it is another's: its retry count is dropped")
}

// refusingGets is a Store whose Gets fail while refuse is set.
type refusingGets struct {
	store.Store
	refuse atomic.Bool
}

var errGetRefused = errors.New("test: get refused")

func (s *refusingGets) Get(ctx context.Context, ref meta.Ref, into meta.Object) error {
	if s.refuse.Load() {
		return errGetRefused
	}
	return s.Store.Get(ctx, ref, into)
}

// shareWithAnother makes m, built with ShareWork, count one other live
// replica.
func shareWithAnother(m *Manager) {
	m.members.live = []string{m.members.self.Name, "replica-other"}
	slices.Sort(m.members.live)
}

// refInShare returns a ref of kind in namespace ns whose own share key is
// m's share when mine is set, the other replica's otherwise.
func refInShare(m *Manager, kind meta.Kind, mine bool) meta.Ref {
	for i := 0; ; i++ {
		ref := meta.Ref{Kind: kind, Namespace: "ns", Name: fmt.Sprintf("%s-%d", strings.ToLower(string(kind)), i)}
		if m.members.owns(string(ref.Kind)+"/"+ref.Namespace+"/"+ref.Name) == mine {
			return ref
		}
	}
}
