package certflow

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/certflow/certflow/meta"
)

// TestRecentDeletions_RemembersExactlyTheWindow checks recentDeletions
// against the plain model it replaces: an object is remembered while one of
// its deletions is among the last maxDeletions, at the revision of its
// latest one. Names repeat, so an object deleted again inside the window
// must outlive the eviction of its earlier deletion.
func TestRecentDeletions_RemembersExactlyTheWindow(t *testing.T) {
	t.Parallel() // touches nothing shared: runs beside the other CPU-bound tests
	rng := rand.New(rand.NewPCG(1, 2))
	var d recentDeletions
	var window []meta.Ref
	last := map[meta.Ref]uint64{}
	refs := make([]meta.Ref, 3*maxDeletions)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: fmt.Sprint("e", i)}
	}
	for rev := uint64(1); rev <= 5*maxDeletions; rev++ {
		ref := refs[rng.IntN(len(refs))]
		d.add(ref, rev)
		window = append(window, ref)
		if len(window) > maxDeletions {
			window = window[1:]
		}
		last[ref] = rev
		if rev%997 != 0 && rev != 5*maxDeletions {
			continue
		}
		inWindow := map[meta.Ref]bool{}
		for _, r := range window {
			inWindow[r] = true
		}
		for _, r := range refs {
			got, ok := d.revision(r)
			if ok != inWindow[r] {
				t.Fatalf("at revision %d, %s remembered %v, want %v", rev, r.Name, ok, inWindow[r])
			}
			if ok && got != last[r] {
				t.Fatalf("at revision %d, %s deleted at %d, want %d", rev, r.Name, got, last[r])
			}
		}
		if len(d.at) != len(inWindow) {
			t.Fatalf("at revision %d, %d objects held, want %d", rev, len(d.at), len(inWindow))
		}
	}
}

// BenchmarkRecentDeletions_Full adds deletions to a full window, as a
// Manager does once 4,096 objects were deleted.
func BenchmarkRecentDeletions_Full(b *testing.B) {
	refs := make([]meta.Ref, 2*maxDeletions)
	for i := range refs {
		refs[i] = meta.Ref{Kind: meta.KindEvent, Namespace: "ns", Name: fmt.Sprintf("cert-%06d-challenge-event", i)}
	}
	var d recentDeletions
	for i := range maxDeletions {
		d.add(refs[i], uint64(i))
	}
	b.ReportAllocs()
	i := maxDeletions
	for b.Loop() {
		d.add(refs[i%len(refs)], uint64(i))
		i++
	}
}
