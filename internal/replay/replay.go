// Package replay records the decisions of a real issuance and replays them
// without a CA, a network or a Store.
//
// Recording: Record installs a reconcile.Observer; every reconciler then
// reports, for each decision it executes, the snapshot the decision saw,
// the plan it returned (before anything ran) and the outcome of executing
// it (the plan's object as stored afterwards, with what its effect
// recorded). Save writes the steps as JSON, in the order they were decided.
//
// Replaying: Drive feeds one kind's recorded snapshots, in order, to that
// package's pure decide and fails when a plan differs from the recorded
// one. The object under decision is not taken from the recording but from
// the earlier replayed decisions: the plan's object when it was written,
// with the recorded effect outcome (its status) applied and the Store's
// new ResourceVersion taken from the recording. Drive checks that this
// object is the one the recorded snapshot holds, so the object's whole
// history is made by the decisions plus the recorded effect outcomes. The
// other parts of a snapshot (a Certificate's Secret and requests, an
// Order's Challenges, …) are decided by other packages and come from the
// recording; each of those packages replays its own decisions from the
// same recorded issuance.
package replay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

// RecordEnv, set to 1, makes the recording test run a real issuance and
// rewrite the committed recording.
const RecordEnv = "CERTFLOW_REPLAY_RECORD"

// Recording is one recorded run.
type Recording struct {
	// About says what was recorded and how to record it again.
	About string  `json:"about"`
	Steps []*Step `json:"steps"`
}

// Step is one executed decision.
type Step struct {
	Seq  int       `json:"seq"`
	Kind meta.Kind `json:"kind"`
	// Snapshot is the decision's input: the snapshot's exported fields by
	// name (an error as its message).
	Snapshot json.RawMessage `json:"snapshot"`
	Plan     Plan            `json:"plan"`
	Outcome  *Outcome        `json:"outcome,omitempty"`
}

// Plan is what a reconcile.Plan says, without the effect's closure.
type Plan struct {
	Object json.RawMessage      `json:"object"`
	Write  bool                 `json:"write,omitempty"`
	Create []json.RawMessage    `json:"create,omitempty"`
	Delete []reconcile.Deletion `json:"delete,omitempty"`
	Events []reconcile.Event    `json:"events,omitempty"`
	Effect string               `json:"effect,omitempty"`
	Claim  string               `json:"claim,omitempty"`
	Next   time.Time            `json:"next,omitzero"`
}

// Outcome is how executing a plan ended.
type Outcome struct {
	// Ran says the plan's effect ran (a claim held elsewhere skips it).
	Ran bool   `json:"ran,omitempty"`
	Err string `json:"err,omitempty"`
	// Next is when the reconciler looks again.
	Next time.Time `json:"next,omitzero"`
	// Object is the plan's object after execution: with what the effect
	// recorded and the Store's new ResourceVersion.
	Object json.RawMessage `json:"object,omitempty"`
}

// Summarise returns what p says, its effect by name and claim.
func Summarise(p *reconcile.Plan) (Plan, error) {
	var out Plan
	var err error
	if out.Object, err = json.Marshal(p.Object); err != nil {
		return out, err
	}
	out.Write, out.Delete, out.Events, out.Next = p.Write, p.Delete, p.Events, p.Next
	for _, c := range p.Create {
		b, err := json.Marshal(c)
		if err != nil {
			return out, err
		}
		out.Create = append(out.Create, b)
	}
	if p.Effect != nil {
		out.Effect = p.Effect.Name
		if p.Effect.Claim != nil {
			out.Claim = p.Effect.Claim.Name
		}
	}
	return out, nil
}

// MarshalSnapshot encodes a snapshot (a struct or a pointer to one) as an
// object of its exported fields by name; a field holding an error is
// encoded as its message.
func MarshalSnapshot(snapshot any) (json.RawMessage, error) {
	v := reflect.ValueOf(snapshot)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("replay: snapshot %T is not a struct", snapshot)
	}
	fields := map[string]any{}
	errType := reflect.TypeFor[error]()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		switch {
		case f.Type == errType && fv.IsNil():
			fields[f.Name] = nil
		case f.Type == errType:
			fields[f.Name] = fv.Interface().(error).Error()
		default:
			fields[f.Name] = fv.Interface()
		}
	}
	return json.Marshal(fields)
}

// Recorder collects the decisions of every reconciler of the process.
type Recorder struct {
	mu      sync.Mutex
	steps   []*Step
	err     error
	stopped bool
}

// Record returns a Recorder; give its Observe to a Manager as
// Config.Observer, and Stop it before reading its Steps.
func Record() *Recorder { return &Recorder{} }

// Stop ends the recording: later decisions are not recorded.
func (r *Recorder) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
}

func (r *Recorder) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

// Observe records one decision; it is a reconcile.Observer.
func (r *Recorder) Observe(kind meta.Kind, snapshot any, p *reconcile.Plan) func(time.Time, error) {
	r.mu.Lock()
	stopped := r.stopped
	r.mu.Unlock()
	if stopped {
		return nil
	}
	snap, err := MarshalSnapshot(snapshot)
	if err != nil {
		r.fail(err)
		return nil
	}
	plan, err := Summarise(p)
	if err != nil {
		r.fail(err)
		return nil
	}
	r.mu.Lock()
	st := &Step{Seq: len(r.steps) + 1, Kind: kind, Snapshot: snap, Plan: plan}
	r.steps = append(r.steps, st)
	r.mu.Unlock()
	ran := false
	if e := p.Effect; e != nil && e.Do != nil {
		do := e.Do
		e.Do = func(ctx context.Context) error {
			ran = true
			return do(ctx)
		}
	}
	return func(next time.Time, err error) {
		o := &Outcome{Ran: ran, Next: next}
		if err != nil {
			o.Err = err.Error()
		}
		b, merr := json.Marshal(p.Object)
		if merr != nil {
			r.fail(merr)
			return
		}
		o.Object = b
		r.mu.Lock()
		st.Outcome = o
		r.mu.Unlock()
	}
}

var _ reconcile.Observer = (*Recorder)(nil).Observe

// Steps returns the steps recorded so far.
func (r *Recorder) Steps() ([]*Step, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.steps), r.err
}

// Save writes rec, indented, to path. Every stored object in it (a JSON
// object with metadata), every larger part of one (a spec, a status) and
// every long string (a CSR, a chain, a key) is written once, in "objects"
// under the hash of its content, and referred to as {"$object": hash}: the
// snapshots of one issuance repeat the same object versions, specs and
// bytes many times.
func Save(path string, rec *Recording) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tree, err := decode(b)
	if err != nil {
		return err
	}
	objects := map[string]any{}
	m := tree.(map[string]any)
	out := struct {
		About   any            `json:"about"`
		Steps   any            `json:"steps"`
		Objects map[string]any `json:"objects"`
	}{m["about"], intern(m["steps"], objects, 0), objects}
	if b, err = json.MarshalIndent(out, "", " "); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Load reads the recording at path.
func Load(t testing.TB, path string) *Recording {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("replay: %v (record it with %s=1 go test ./internal/replay/record)", err, RecordEnv)
	}
	tree, err := decode(b)
	if err != nil {
		t.Fatalf("replay: %s: %v", path, err)
	}
	m := tree.(map[string]any)
	objects, _ := m["objects"].(map[string]any)
	delete(m, "objects")
	if b, err = json.Marshal(expand(m, objects)); err != nil {
		t.Fatal(err)
	}
	rec := &Recording{}
	if err := json.Unmarshal(b, rec); err != nil {
		t.Fatalf("replay: %s: %v", path, err)
	}
	return rec
}

func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

const objectKey = "$object"

// internMin is the size from which a JSON object (a spec, a status) or a
// string is stored once; every object with metadata is.
const internMin = 160

// intern replaces the larger parts of v by references into objects. depth
// is v's below the steps: the steps (1) and their snapshot, plan and
// outcome (2) stay in place.
func intern(v any, objects map[string]any, depth int) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = intern(e, objects, depth+1)
		}
		if depth < 3 {
			return x
		}
		b, _ := json.Marshal(x)
		if _, ok := x["metadata"]; !ok && len(b) < internMin {
			return x
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:8])
		objects[h] = x
		return map[string]any{objectKey: h}
	case []any:
		for i, e := range x {
			x[i] = intern(e, objects, depth+1)
		}
	case string:
		// Long strings (a CSR, a certificate chain, a key) recur in many
		// object versions: stored once too.
		if len(x) < internMin {
			return x
		}
		sum := sha256.Sum256([]byte(x))
		h := hex.EncodeToString(sum[:8])
		objects[h] = x
		return map[string]any{objectKey: h}
	}
	return v
}

// expand undoes intern.
func expand(v any, objects map[string]any) any {
	switch x := v.(type) {
	case map[string]any:
		if h, ok := x[objectKey].(string); ok && len(x) == 1 {
			return expand(objects[h], objects)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = expand(e, objects)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expand(e, objects)
		}
		return out
	}
	return v
}
