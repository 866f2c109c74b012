package metrics

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/solver"
)

// The CA's problem detail reaches the reason label: a megabyte of it is
// cut to maxReasonLabel bytes of valid UTF-8, and a cert-manager-sized
// reason is left as it is.
func TestChallengeStatus_ReasonLabelIsBounded(t *testing.T) {
	r := newRig(t)
	// Two-byte runes after prefixes of odd and even length: the plain cut
	// falls between runes for one and inside a rune for the other.
	prefixes := map[string]string{"long": "authorization is invalid: http-01: ", "long-mid-rune": "authorization is invalid: http-01:  "}
	for name, prefix := range prefixes {
		long := challengeObj(name, solver.HTTP01, challenge.StateInvalid)
		long.Status.Reason = prefix + strings.Repeat("é", 1<<19)
		r.create(long)
	}
	r.create(challengeObj("short", solver.HTTP01, challenge.StateInvalid))

	reasons := map[string]string{}
	for k := range gather(t, r.m)["certmanager_certificate_challenge_status"].samples {
		reasons[labelOf(k, "name")] = labelOf(k, "reason")
	}
	assert.Equal(t, "why short", reasons["short"])
	for name, prefix := range prefixes {
		got := reasons[name]
		assert.LessOrEqual(t, len(got), maxReasonLabel, name)
		assert.Greater(t, len(got), maxReasonLabel-8, name)
		assert.True(t, utf8.ValidString(got), "%s: %q", name, got[len(got)-8:])
		assert.True(t, strings.HasPrefix(got, prefix+"éé"), name)
		assert.True(t, strings.HasSuffix(got, "…"), name)
	}
}
