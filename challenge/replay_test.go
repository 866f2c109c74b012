package challenge

// TestReplayIssuance replays the Challenge decisions of one real HTTP-01
// issuance of two names (internal/replay/testdata, recorded by a Manager
// against acmetest) through decide alone: no CA, no network, no Store, no
// clock, no solver. It fails when a plan differs from the recorded one
// (status written, events, the step named and its claim, the next visit).
// Each Challenge a decision sees is the one the replayed decisions before
// it produced, with the recorded outcome of each step (present,
// self-check, accept, the authorization, clean up) applied; Now and what
// the loader found (abandoned, solver error) come from the recording. The
// options are the Manager's (2 minute self-check timeout, the
// reconciler's other defaults).
//
// After changing a decision on purpose, record again:
//
//	CERTFLOW_REPLAY_RECORD=1 go test ./internal/replay/record

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/replay"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

func TestReplayIssuance(t *testing.T) {
	opts := Options{SelfCheckTimeout: 2 * time.Minute}.withDefaults("replay")
	rec := replay.Load(t, replay.Path)
	end := replay.Drive(t, rec, meta.KindChallenge, replay.Decider{
		Main: func(s json.RawMessage) (meta.Ref, json.RawMessage, error) {
			return replay.Field(s, "Challenge", &Challenge{})
		},
		Decide: func(raw, obj json.RawMessage) (*reconcile.Plan, error) {
			var in struct {
				Now             time.Time
				Abandon         string
				SolverErr       *string
				NeedsRecordName bool
				StoreServed     bool
			}
			if err := json.Unmarshal(raw, &in); err != nil {
				return nil, err
			}
			s := snapshot{Challenge: &Challenge{}, Now: in.Now, Abandon: in.Abandon, NeedsRecordName: in.NeedsRecordName, StoreServed: in.StoreServed}
			if err := json.Unmarshal(obj, s.Challenge); err != nil {
				return nil, err
			}
			if in.SolverErr != nil {
				s.SolverErr = errors.New(*in.SolverErr)
			}
			p := decide(s, opts)
			return &p, nil
		},
	})
	if t.Failed() {
		return
	}
	require.Len(t, end, 2, "one Challenge per name")
	for ref, raw := range end {
		ch := &Challenge{}
		require.NoError(t, json.Unmarshal(raw, ch), ref)
		require.Equal(t, StateValid, ch.Status.State, ref)
		require.True(t, ch.Status.CleanedUp, ref)
	}
}
