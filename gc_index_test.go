package certflow

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/request"
	"github.com/certflow/certflow/secret"
	"github.com/certflow/certflow/store"
)

// TestOwnerIndex_ChildrenFollowOwnerChanges: the inverted index answers
// what each owner owns as objects are indexed, change owners, are
// forgotten and re-listed; before the first listing it says it knows
// nothing, so collection falls back to a List.
func TestOwnerIndex_ChildrenFollowOwnerChanges(t *testing.T) {
	ref := func(kind meta.Kind, name string) meta.Ref {
		return meta.Ref{Kind: kind, Namespace: "default", Name: name}
	}
	cert, other := ref(meta.KindCertificate, "web"), ref(meta.KindCertificate, "api")
	req, key := ref(meta.KindCertificateRequest, "web-1"), ref(meta.KindSecret, "web-next-private-key")
	var x ownerIndex

	_, indexed := x.childrenOf(cert)
	assert.False(t, indexed, "nothing listed yet")

	x.reset(map[meta.Ref][]meta.Ref{req: {cert}}, nil, 5)
	children, indexed := x.childrenOf(cert)
	require.True(t, indexed)
	assert.Equal(t, []meta.Ref{req}, children)

	x.set(key, []meta.Ref{cert}, 6)
	x.set(key, []meta.Ref{cert}, 0) // the same owners again: listed once
	children, _ = x.childrenOf(cert)
	assert.ElementsMatch(t, []meta.Ref{req, key}, children)

	x.set(req, []meta.Ref{other}, 0) // adopted by another owner
	children, _ = x.childrenOf(cert)
	assert.Equal(t, []meta.Ref{key}, children)
	children, _ = x.childrenOf(other)
	assert.Equal(t, []meta.Ref{req}, children)

	x.forget(key)
	children, _ = x.childrenOf(cert)
	assert.Empty(t, children)
	assert.Equal(t, 2, x.size(), "an owner without children leaves the index: only req and its owner remain")

	x.set(req, nil, 0) // no owners any more
	children, _ = x.childrenOf(other)
	assert.Empty(t, children)
	assert.Zero(t, x.size(), "nothing owns or is owned")
}

// TestGC_CollectsFromTheIndexWithoutListing: once the Manager has listed
// the Store, deleting an owner collects what it owned without a List of
// the namespace (which costs as much as the Store is large), and what the
// owner's kind rule keeps stays.
func TestGC_CollectsFromTheIndexWithoutListing(t *testing.T) {
	var ownerLists atomic.Int64
	h := startHooked(t, func(c *Config) {
		c.Store = ownerListCounter{Store: c.Store, n: &ownerLists}
	}, func(m *Manager) {
		// Nothing reconciles: what happens is the collector's alone.
		for k := range m.reconcilers {
			m.reconcilers[k] = reconcileFunc(func(context.Context, meta.Ref) (time.Time, error) { return time.Time{}, nil })
		}
	})
	ctx := context.Background()
	owner := testrig.CertRef("default", "gone")
	r := &request.CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "gone-1", OwnerRefs: []meta.Ref{owner}}}
	key := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "gone-next-private-key", OwnerRefs: []meta.Ref{owner},
		Labels: map[string]string{certificate.LabelNextPrivateKey: "true"}}}
	tlsSecret := &secret.Secret{ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "gone-tls", OwnerRefs: []meta.Ref{owner}}}
	// The owner exists while its children are written; its deletion is
	// observed after them, so they are in the index by then.
	c := testrig.ACMECertificate("default", "gone", "acme", "gone.example.test")
	require.NoError(t, h.store.Create(ctx, c))
	for _, o := range []meta.Object{r, key, tlsSecret} {
		require.NoError(t, h.store.Create(ctx, o))
	}
	require.NoError(t, h.store.Delete(ctx, owner, ""))
	h.waitUntil("the request and the temporary key are collected", func() bool {
		return gone(h.store, meta.RefOf(r)) && gone(h.store, meta.RefOf(key))
	})
	assert.False(t, gone(h.store, meta.RefOf(tlsSecret)), "the TLS Secret outlives its Certificate")
	assert.Zero(t, ownerLists.Load(), "collected from the owner index, without a List")
}

// ownerListCounter counts the Lists of what an owner owns.
type ownerListCounter struct {
	store.Store
	n *atomic.Int64
}

func (s ownerListCounter) List(ctx context.Context, opts store.ListOptions) (store.ListResult, error) {
	if opts.Owner != nil {
		s.n.Add(1)
	}
	return s.Store.List(ctx, opts)
}

// TestOwnerIndex_AgreesWithMaps: setting, changing and forgetting owners
// at random (several owners, shared owners, owners that are owned), the
// index answers owners, children and creation as plain maps holding the
// same would, and holds nothing once everything is forgotten.
func TestOwnerIndex_AgreesWithMaps(t *testing.T) {
	t.Parallel() // touches nothing shared: runs beside the other CPU-bound tests
	rng := rand.New(rand.NewPCG(5, 6))
	ref := func(i int) meta.Ref {
		return meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: fmt.Sprint("o-", i)}
	}
	const n = 300
	var x ownerIndex
	x.reset(nil, nil, 1)
	owners := map[meta.Ref][]meta.Ref{}
	created := map[meta.Ref]uint64{}
	for step := range 20000 {
		r := ref(rng.IntN(n))
		switch rng.IntN(4) {
		case 0:
			x.forget(r)
			delete(owners, r)
			delete(created, r)
		default:
			var os []meta.Ref
			for range rng.IntN(3) {
				if o := ref(rng.IntN(n)); !slices.Contains(os, o) {
					os = append(os, o)
				}
			}
			at := uint64(0)
			if rng.IntN(2) == 0 {
				at = uint64(step + 2)
			}
			x.set(r, os, at)
			if len(os) == 0 {
				delete(owners, r)
				delete(created, r)
				break
			}
			owners[r] = os
			if at != 0 {
				created[r] = at
			}
		}
		if step%500 != 0 {
			continue
		}
		children := map[meta.Ref][]meta.Ref{}
		for c, os := range owners {
			for _, o := range os {
				children[o] = append(children[o], c)
			}
		}
		for i := range n {
			r := ref(i)
			require.Equal(t, owners[r], x.of(r), "step %d: owners of %s", step, r)
			got, _ := x.childrenOf(r)
			require.ElementsMatch(t, children[r], got, "step %d: children of %s", step, r)
			x.mu.Lock()
			require.Equal(t, created[r], x.createdLocked(r), "step %d: creation of %s", step, r)
			x.mu.Unlock()
		}
	}
	for i := range n {
		x.forget(ref(i))
	}
	assert.Zero(t, x.size(), "everything forgotten")
}
