package challenge

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Only the accept (alone or after its first check) is refused for a gone owner before it starts: a resumed
// accept first reads whether an earlier one reached the CA (then the
// challenge waits for the verdict before cleaning up, or the validation
// would fail for nothing) and checks the owners itself before accepting
// again; the rest must run whoever is gone (cleaning up above all).
func TestForOwners_OnlyTheAcceptStep(t *testing.T) {
	for s, want := range map[step]bool{
		stepAccept:        true,
		stepCheckAccept:   true,
		stepResumeAccept:  false,
		stepRecordName:    false,
		stepPresent:       false,
		stepSelfCheck:     false,
		stepAuthorization: false,
		stepCleanUp:       false,
	} {
		assert.Equal(t, want, s.forOwners(), s)
		assert.Equal(t, want, effect(s, nil).ForOwners, s)
	}
}
