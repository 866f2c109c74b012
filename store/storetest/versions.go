package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testVersionsNeverReused: no two versions of one name share a
// ResourceVersion, across a delete and a create again too. A version equal
// to one read is taken to be that very state: the check before a step
// (reconcile's fresh) and WaitReady's skip of a wake for the version it
// read would both miss an object re-created under a version it had before.
func testVersionsNeverReused(ctx context.Context, t *testing.T, h *harness) {
	seen := map[string]string{}
	record := func(what string, w *Widget) {
		rv := w.Metadata.ResourceVersion
		require.NotEmpty(t, rv, what)
		if before, ok := seen[rv]; ok {
			assert.Failf(t, "version reused", "%s has version %q, as %s had", what, rv, before)
		}
		seen[rv] = what
	}
	w := h.create(ctx, t, NewWidget("a", "w", map[string]string{"k": "1"}))
	record("created", w)
	w.Data["k"] = "2"
	require.NoError(t, h.s.Update(ctx, w))
	record("updated", w)
	require.NoError(t, h.s.Delete(ctx, w.Ref(), ""))
	again := h.create(ctx, t, NewWidget("a", "w", map[string]string{"k": "1"}))
	record("created again", again)
	assert.Equal(t, again.Metadata.ResourceVersion, h.get(ctx, t, NewWidget("a", "w", nil)).Metadata.ResourceVersion,
		"read as created again")
}
