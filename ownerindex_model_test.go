package certflow

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
)

// TestOwnerIndex_LinksAgreeWithMapsAtEveryStep: on few objects (so that
// owners change from one to several and back, objects own themselves and
// each other, and owners are listed twice), with resets between, the
// index answers owners and children as maps holding the same would after
// every step, and its lists stay well formed: each single-owner child is
// threaded once on its owner's children, no list loops, and a node that
// is not a single-owner child has no sibling link left.
func TestOwnerIndex_LinksAgreeWithMapsAtEveryStep(t *testing.T) {
	const n = 8
	refs := make([]meta.Ref, n)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "ns", Name: fmt.Sprint("o-", i)}
	}
	ref := func(i int) meta.Ref { return refs[i] }
	// The seeds run side by side: each has its own index and generator.
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 7))
			var x ownerIndex
			owners := map[meta.Ref][]meta.Ref{} // deduplicated, in order
			for step := range 2000 {
				r := ref(rng.IntN(n))
				switch k := rng.IntN(10); {
				case k == 0:
					x.forget(r)
					delete(owners, r)
				case k == 1:
					x.reset(owners, nil, uint64(step+1))
				case k == 2:
					switch rng.IntN(3) {
					case 0:
						x.seenPresent(r)
					case 1:
						x.deletedHere(r)
					default:
						x.ownerDeleted(r, uint64(step+1))
					}
				default:
					var os, uniq []meta.Ref
					for range rng.IntN(4) {
						o := ref(rng.IntN(n))
						if rng.IntN(3) == 0 && len(os) > 0 {
							o = os[0] // listed twice
						}
						os = append(os, o)
						if !slices.Contains(uniq, o) {
							uniq = append(uniq, o)
						}
					}
					x.set(r, os, uint64(step+1))
					if len(uniq) == 0 {
						delete(owners, r)
					} else {
						owners[r] = uniq
					}
				}
				checkOwnerIndex(t, &x, owners, n, ref, step)
			}
			for i := range n {
				x.forget(ref(i))
				delete(owners, ref(i))
				checkOwnerIndex(t, &x, owners, n, ref, -1)
			}
			require.Zero(t, x.size(), "everything forgotten")
		})
	}
}

func checkOwnerIndex(t *testing.T, x *ownerIndex, owners map[meta.Ref][]meta.Ref, n int, ref func(int) meta.Ref, step int) {
	t.Helper()
	children := map[meta.Ref][]meta.Ref{}
	used := map[meta.Ref]bool{}
	for c, os := range owners {
		used[c] = true
		for _, o := range os {
			children[o] = append(children[o], c)
			used[o] = true
		}
	}
	// Plain comparisons: see model_helpers_test.go.
	for i := range n {
		r := ref(i)
		if got := x.of(r); !sameRefs(owners[r], got) {
			t.Fatalf("step %d: owners of %s are %v, want %v", step, r, got, owners[r])
		}
		if got, _ := x.childrenOf(r); !sameRefsInAnyOrder(children[r], got) {
			t.Fatalf("step %d: children of %s are %v, want %v in any order", step, r, got, children[r])
		}
	}
	if x.size() < len(used) {
		t.Fatalf("step %d: %d objects held, want at least %d", step, x.size(), len(used))
	}

	x.mu.Lock()
	defer x.mu.Unlock()
	threaded := map[int32]int{}
	for i := range n {
		id, ok := x.ids.lookup(ref(i))
		if !ok {
			continue
		}
		l, hops := x.ids.at(id).children, 0
		for l != 0 {
			hops++
			if hops > n*n {
				t.Fatalf("step %d: children of %s loop", step, ref(i))
			}
			if l < 0 {
				c := -l - 1
				threaded[c]++
				if got := x.ids.at(c).owners; got != -(id + 1) {
					t.Fatalf("step %d: single-owner child on another's list: owners %d, want %d", step, got, -(id + 1))
				}
			}
			_, l = x.childLocked(l)
		}
	}
	for i := range n {
		id, ok := x.ids.lookup(ref(i))
		if !ok {
			continue
		}
		if x.ids.at(id).owners < 0 {
			if threaded[id] != 1 {
				t.Fatalf("step %d: %s threaded %d times on its owner's children, want 1", step, ref(i), threaded[id])
			}
		} else if int(id) < len(x.sibling) && x.sibling[id] != 0 {
			t.Fatalf("step %d: %s keeps a sibling link", step, ref(i))
		}
	}
}
