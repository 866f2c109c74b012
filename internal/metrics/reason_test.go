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
	long := challengeObj("long", solver.HTTP01, challenge.StateInvalid)
	long.Status.Reason = "authorization is invalid: http-01: " + strings.Repeat("é", 1<<19)
	r.create(long)
	r.create(challengeObj("short", solver.HTTP01, challenge.StateInvalid))

	reasons := map[string]string{}
	for k := range gather(t, r.m)["certmanager_certificate_challenge_status"].samples {
		reasons[labelOf(k, "name")] = labelOf(k, "reason")
	}
	assert.Equal(t, "why short", reasons["short"])
	got := reasons["long"]
	assert.LessOrEqual(t, len(got), maxReasonLabel)
	assert.Greater(t, len(got), maxReasonLabel-8)
	assert.True(t, utf8.ValidString(got))
	assert.True(t, strings.HasPrefix(got, "authorization is invalid: http-01: éé"))
	assert.True(t, strings.HasSuffix(got, "…"))
}
