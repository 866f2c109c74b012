package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// Decider is one package's decision, for Drive.
type Decider struct {
	// Main returns the ref and JSON of the object under decision in a
	// recorded snapshot.
	Main func(snapshot json.RawMessage) (meta.Ref, json.RawMessage, error)
	// Decide decodes the snapshot, replaces its object under decision by
	// obj and returns the plan the package's decide makes of it, its
	// Effect carrying the name and claim the reconciler would give it.
	Decide func(snapshot, obj json.RawMessage) (*reconcile.Plan, error)
}

// Driven is the end of a replay: the last state of each decided object.
type Driven map[meta.Ref]json.RawMessage

// Drive replays the recorded decisions of kind (see the package comment)
// and returns how it left each object. It returns after the first plan
// that differs from the recording.
func Drive(t *testing.T, rec *Recording, kind meta.Kind, d Decider) Driven {
	t.Helper()
	state := Driven{}
	n := 0
	for _, st := range rec.Steps {
		if st.Kind != kind {
			continue
		}
		n++
		ref, recorded, err := d.Main(st.Snapshot)
		if err != nil {
			t.Fatalf("step %d (%s): decode snapshot: %v", st.Seq, kind, err)
		}
		obj := recorded
		if prev, ok := state[ref]; ok {
			if !sameJSON(t, recorded, prev, fmt.Sprintf(
				"step %d: %s as the replayed decisions left it (+) is not what the recorded snapshot holds (-)", st.Seq, ref)) {
				return state
			}
			obj = prev
		}
		p, err := d.Decide(st.Snapshot, obj)
		if err != nil {
			t.Fatalf("step %d (%s): decide: %v", st.Seq, ref, err)
		}
		got, err := Summarise(p)
		if err != nil {
			t.Fatalf("step %d (%s): %v", st.Seq, ref, err)
		}
		if !equalPlan(t, st, got) {
			t.Errorf("step %d: the decision on %s changed (Now %s)", st.Seq, ref, nowOf(st.Snapshot))
			return state
		}
		state[ref] = advance(t, st, ref, obj, p, got)
	}
	if n == 0 {
		t.Fatalf("the recording holds no %s decision", kind)
	}
	t.Logf("replayed %d %s decisions", n, kind)
	return state
}

func equalPlan(t *testing.T, st *Step, got Plan) bool {
	t.Helper()
	want, err := json.Marshal(st.Plan)
	if err != nil {
		t.Fatal(err)
	}
	have, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	return sameJSON(t, want, have, fmt.Sprintf("step %d: plan (- recorded, + decided now)", st.Seq))
}

// sameJSON reports whether want and have hold the same JSON value, and
// shows the lines that differ when they do not.
func sameJSON(t *testing.T, want, have []byte, what string) bool {
	t.Helper()
	w, h := indent(t, want), indent(t, have)
	if w == h {
		return true
	}
	t.Errorf("%s:\n%s", what, Diff(w, h))
	return false
}

func indent(t *testing.T, b []byte) string {
	t.Helper()
	v, err := decode(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// Diff returns the lines of a and b that differ, "-" for a's and "+" for
// b's, with two lines of context.
func Diff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// lcs[i][j] is the length of the longest common subsequence of x[i:]
	// and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var lines []line
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			lines = append(lines, line{' ', x[i]})
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, line{'-', x[i]})
			i++
		default:
			lines = append(lines, line{'+', y[j]})
			j++
		}
	}
	var sb strings.Builder
	last := -1
	for k, l := range lines {
		near := false
		for d := max(0, k-2); d <= min(len(lines)-1, k+2); d++ {
			near = near || lines[d].op != ' '
		}
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			sb.WriteString("  ...\n")
		}
		last = k
		fmt.Fprintf(&sb, "%c %s\n", l.op, l.text)
	}
	return sb.String()
}

// advance returns the object under decision after the step: the replayed
// plan's object when the plan wrote it or its effect ran, with the recorded
// effect outcome (status) and ResourceVersion.
func advance(t *testing.T, st *Step, ref meta.Ref, obj json.RawMessage, p *reconcile.Plan, got Plan) json.RawMessage {
	t.Helper()
	o := st.Outcome
	if o == nil || o.Err != "" || meta.RefOf(p.Object) != ref || (!got.Write && !o.Ran) {
		return obj
	}
	var next, out map[string]json.RawMessage
	if err := json.Unmarshal(got.Object, &next); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(o.Object, &out); err != nil {
		t.Fatal(err)
	}
	var md, outMD map[string]json.RawMessage
	if err := json.Unmarshal(next["metadata"], &md); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out["metadata"], &outMD); err != nil {
		t.Fatal(err)
	}
	md["resourceVersion"] = outMD["resourceVersion"]
	b, err := json.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	next["metadata"] = b
	if o.Ran {
		next["status"] = out["status"]
	}
	b, err = json.Marshal(next)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func nowOf(snapshot json.RawMessage) string {
	var s struct{ Now time.Time }
	_ = json.Unmarshal(snapshot, &s)
	return s.Now.UTC().Format(time.RFC3339Nano)
}

// Compact re-encodes JSON without spaces, for comparing.
func Compact(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

// Path is where the decision packages find the recorded issuance, relative
// to their directory.
const Path = "../internal/replay/testdata/http01-two-names.json"

// Field decodes the snapshot's field name into obj and returns its ref and
// JSON: the Main of a Decider.
func Field(snapshot json.RawMessage, name string, obj meta.Object) (meta.Ref, json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(snapshot, &fields); err != nil {
		return meta.Ref{}, nil, err
	}
	raw, ok := fields[name]
	if !ok {
		return meta.Ref{}, nil, fmt.Errorf("snapshot has no field %s", name)
	}
	if err := json.Unmarshal(raw, obj); err != nil {
		return meta.Ref{}, nil, err
	}
	return meta.RefOf(obj), raw, nil
}
