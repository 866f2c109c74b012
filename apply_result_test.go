package certflow

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/store/memory"
)

// TestApply_ReportsItsResult: ReportResult says created, configured or
// unchanged as Apply created, updated or left the object, each time what
// the Store holds agrees, and it is left alone when Apply fails.
func TestApply_ReportsItsResult(t *testing.T) {
	st := memory.New()
	m, err := New(Config{Store: st})
	require.NoError(t, err)
	ctx := context.Background()
	ref := testrig.CertRef("default", "web")
	stored := func() *certificate.Certificate {
		c := &certificate.Certificate{}
		require.NoError(t, st.Get(ctx, ref, c))
		return c
	}
	apply := func(c *certificate.Certificate) ApplyResult {
		t.Helper()
		var res ApplyResult
		require.NoError(t, m.Apply(ctx, c, ReportResult(&res)))
		return res
	}

	assert.Equal(t, ApplyCreated, apply(testrig.Certificate("default", "web", "ca", "a.example.test")))
	first := stored().ObjectMeta.ResourceVersion

	assert.Equal(t, ApplyUnchanged, apply(testrig.Certificate("default", "web", "ca", "a.example.test")))
	assert.Equal(t, first, stored().ObjectMeta.ResourceVersion, "unchanged writes nothing")

	assert.Equal(t, ApplyConfigured, apply(testrig.Certificate("default", "web", "ca", "b.example.test")))
	second := stored()
	assert.NotEqual(t, first, second.ObjectMeta.ResourceVersion)
	assert.Equal(t, int64(2), second.ObjectMeta.Generation)

	labelled := testrig.Certificate("default", "web", "ca", "b.example.test")
	labelled.ObjectMeta.Labels = map[string]string{"team": "web"}
	assert.Equal(t, ApplyConfigured, apply(labelled), "a label is no spec change, but a change")
	assert.Equal(t, "web", stored().ObjectMeta.Labels["team"])
	assert.Equal(t, int64(2), stored().ObjectMeta.Generation)

	res := ApplyResult("untouched")
	invalid := testrig.Certificate("default", "web", "ca")
	invalid.Spec.SecretName = ""
	err = m.Apply(ctx, invalid, ReportResult(&res))
	require.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, ApplyResult("untouched"), res)
	assert.Equal(t, []string{"b.example.test"}, stored().Spec.DNSNames)
}
