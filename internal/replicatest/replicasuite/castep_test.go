package replicasuite

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The accept is awaited under either name its effect reports (after a
// first self-check, or alone after a failed one), and nothing else is
// taken for a CA step: not a resumed accept, not another step's name.
func TestCAStepReports(t *testing.T) {
	steps := map[string]CAStep{}
	for _, s := range CASteps() {
		steps[s.Name] = s
	}
	for _, tc := range []struct {
		step, effect string
		want         bool
	}{
		{"accept", "self-check and accept", true},
		{"accept", "accept", true},
		{"accept", "resume accept", false},
		{"accept", "self-check", false},
		{"accept", "finalize", false},
		{"newOrder", "new order", true},
		{"newOrder", "accept", false},
		{"finalize", "finalize", true},
		{"finalize", "self-check and accept", false},
	} {
		s, ok := steps[tc.step]
		if assert.True(t, ok, tc.step) {
			assert.Equal(t, tc.want, s.Reports(tc.effect), "%s reports %q", tc.step, tc.effect)
		}
	}
}
