package certflow

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/testrig"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
	"github.com/certflow/certflow/store/file"
)

// TestGC_ChildWithCorruptBodyIsStillCollected: an Event (a kind collected
// on its metadata alone) whose stored body no longer decodes into an Event
// but whose metadata still reads is collected with its deleted owner, as
// any child is, instead of staying forever.
func TestGC_ChildWithCorruptBodyIsStillCollected(t *testing.T) {
	dir := t.TempDir()
	st, err := file.Open(dir, file.WithoutSync(), file.WithPollInterval(10*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	h := startHooked(t, func(c *Config) { c.Store = st }, func(m *Manager) {
		// Nothing reconciles: what happens is the collector's alone.
		for k := range m.reconcilers {
			m.reconcilers[k] = reconcileFunc(func(context.Context, meta.Ref) (time.Time, error) { return time.Time{}, nil })
		}
	})
	ctx := h.ctx
	owner := testrig.CertRef("default", "gone")
	ev := &meta.Event{
		ObjectMeta: meta.ObjectMeta{Namespace: "default", Name: "gone.1", OwnerRefs: []meta.Ref{owner}},
		Object:     owner, Type: meta.EventNormal, Reason: "Issuing", Message: "m", Time: testrig.Epoch,
	}
	require.NoError(t, st.Create(ctx, testrig.ACMECertificate("default", "gone", "acme", "gone.example.test")))
	require.NoError(t, st.Create(ctx, ev))
	evRef := meta.RefOf(ev)
	// The index is the Manager's own: nothing to await but itself.
	require.Eventually(t, func() bool {
		children, indexed := h.m.owners.childrenOf(owner)
		return indexed && slices.Contains(children, evRef)
	}, 10*time.Second, 5*time.Millisecond, "the Event is in the owner index")

	// The body no longer decodes into an Event; the metadata still reads.
	path := filepath.Join(dir, "objects", string(meta.KindEvent), "default", "gone.1.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var record map[string]any
	require.NoError(t, json.Unmarshal(b, &record))
	obj, ok := record["object"].(map[string]any)
	require.True(t, ok, "the file store keeps the object under \"object\": %s", b)
	obj["count"] = "many"
	b, err = json.Marshal(record)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	require.ErrorIs(t, st.Get(ctx, evRef, &meta.Event{}), store.ErrCorrupt, "the test's premise")
	require.NoError(t, st.Get(ctx, evRef, &rawObject{}), "the test's premise: the metadata reads")

	require.NoError(t, st.Delete(ctx, owner, ""))
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	testrig.Await(t, waitCtx, st, "the corrupt Event is collected", func() bool { return gone(st, evRef) }, nil)
}
