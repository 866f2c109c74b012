package challenge_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/challenge"
)

// When the CA is told to validate, the Store already holds the challenge
// as one to serve (presented, self-checked, not cleaned up): a replica
// whose watch lags and that reads the Store on a miss finds it, whichever
// replica the CA's validation reaches.
func TestAcceptIsSentOnlyOnceTheStoreServesTheChallenge(t *testing.T) {
	ctx := testCtx(t)
	f := newCAFixture(ctx, t, challenge.Status{})
	var atAccept []*challenge.Challenge
	f.ca.onAccept = func() {
		ch := &challenge.Challenge{}
		require.NoError(t, f.st.Get(ctx, f.ref, ch))
		atAccept = append(atAccept, ch)
	}
	r := f.replica("a")
	for i := 0; i < 5 && len(atAccept) == 0; i++ {
		_, err := r.Reconcile(ctx, f.ref)
		require.NoError(t, err)
	}
	require.Len(t, atAccept, 1, "accepted once")
	stored := atAccept[0]
	assert.True(t, challenge.Serving(stored), "stored as served before the accept: %+v", stored.Status)
	assert.True(t, stored.Status.SelfCheckPassed)
	assert.True(t, stored.Status.Accepting, "the intent is stored before the POST")
	assert.False(t, stored.Status.State.IsFinal())
	presents, _ := f.fs.counts()
	assert.Equal(t, 1, presents)
}
