package replay

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	long := string(make([]byte, 300))
	obj := json.RawMessage(`{"metadata":{"name":"a"},"spec":{"request":"` + "x" + `"}}`)
	rec := &Recording{About: "test", Steps: []*Step{
		{Seq: 1, Kind: "Order", Snapshot: json.RawMessage(`{"Order":` + string(obj) + `,"Blob":` + mustJSON(t, long) + `}`),
			Plan: Plan{Object: obj, Write: true}, Outcome: &Outcome{Ran: true, Object: obj}},
		{Seq: 2, Kind: "Order", Snapshot: json.RawMessage(`{"Order":` + string(obj) + `,"Blob":` + mustJSON(t, long) + `}`),
			Plan: Plan{Object: obj}},
	}}
	path := filepath.Join(t.TempDir(), "r.json")
	require.NoError(t, Save(path, rec))
	got := Load(t, path)
	require.Len(t, got.Steps, 2)
	for i := range got.Steps {
		require.JSONEq(t, string(rec.Steps[i].Snapshot), string(got.Steps[i].Snapshot))
		require.JSONEq(t, string(rec.Steps[i].Plan.Object), string(got.Steps[i].Plan.Object))
	}
	require.JSONEq(t, string(obj), string(got.Steps[0].Outcome.Object))
}

func TestDiff(t *testing.T) {
	d := Diff("a\nb\nc\nd\ne\nf\ng", "a\nb\nc\nD\ne\nf\ng")
	require.Equal(t, "  b\n  c\n- d\n+ D\n  e\n  f\n", d)
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
