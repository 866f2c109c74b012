package certflow

import (
	"slices"

	"github.com/certflow/certflow/meta"
)

// The randomized model tests compare the code against a plain model after
// every step. Under the race detector each of testify's calls there
// (reflection, t.Helper's stack walk, formatting the message it may never
// print) cost more than the step it checked, so their per-step checks are
// plain comparisons.

// sameRefs tells whether got is want, in the same order, nil only if want
// is (as require.Equal compares them).
func sameRefs(want, got []meta.Ref) bool {
	return (want == nil) == (got == nil) && slices.Equal(want, got)
}

// sameRefsInAnyOrder tells whether a and b hold the same references, each
// as many times, in any order (as require.ElementsMatch compares them).
func sameRefsInAnyOrder(a, b []meta.Ref) bool {
	if len(a) != len(b) {
		return false
	}
	count := make(map[meta.Ref]int, len(a))
	for _, r := range a {
		count[r]++
	}
	for _, r := range b {
		if count[r] == 0 {
			return false
		}
		count[r]--
	}
	return true
}
