package certflow

import (
	"os"
	"slices"

	"github.com/certflow/certflow/meta"
)

// The randomized model tests compare the code against a plain model after
// every step. Under the race detector each of testify's calls there
// (reflection, t.Helper's stack walk, formatting the message it may never
// print) cost more than the step it checked, so their per-step checks are
// plain comparisons. One whose steps are costly in themselves takes fewer
// of them under the race detector: see modelSteps.

// fullModelEnv, set to any value (CERTFLOW_MODEL_FULL=1), makes the
// randomized model tests take their full number of steps under the race
// detector too.
const fullModelEnv = "CERTFLOW_MODEL_FULL"

// modelSteps returns how many random steps a model test takes: full
// without the race detector or with fullModelEnv set, raced under the race
// detector, which makes every step several times slower. The seed is the
// same either way, so the raced run is the full run's first steps, and a
// failure under the race detector replays without it.
func modelSteps(full, raced int) int {
	if !raceEnabled || os.Getenv(fullModelEnv) != "" {
		return full
	}
	return raced
}

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
