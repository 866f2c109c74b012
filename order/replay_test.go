package order

// TestReplayIssuance replays the Order decisions of one real HTTP-01
// issuance of two names (internal/replay/testdata, recorded by a Manager
// against acmetest) through decide alone: no CA, no network, no Store, no
// clock. It fails when a plan differs from the recorded one (status
// written, Challenges created or deleted, events, the ACME call named and
// its claim, the next visit). The Order each decision sees is the one the
// replayed decisions before it produced, with the recorded outcome of each
// ACME call (newOrder, authorizations, finalize, the chain) applied; its
// Challenges, issuer, account thumbprint and Now come from the recording.
// The policy is the Manager's: its 10 minute order timeout, the
// reconciler's other defaults.
//
// After changing a decision on purpose, record again:
//
//	CERTFLOW_REPLAY_RECORD=1 go test ./internal/replay/record

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/replay"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

func TestReplayIssuance(t *testing.T) {
	r := &Reconciler{opts: Options{Timeout: 10 * time.Minute}.withDefaults()}
	rec := replay.Load(t, replay.Path)
	end := replay.Drive(t, rec, meta.KindOrder, replay.Decider{
		Main: func(s json.RawMessage) (meta.Ref, json.RawMessage, error) {
			return replay.Field(s, "Order", &Order{})
		},
		Decide: func(raw, obj json.RawMessage) (*reconcile.Plan, error) {
			var s snapshot
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, err
			}
			s.Order = Order{}
			if err := json.Unmarshal(obj, &s.Order); err != nil {
				return nil, err
			}
			d := r.policy().decide(s)
			if d.step != stepNone {
				// Only the effect's name and claim: its call is never made.
				d.plan.Effect = r.effect(d.step, &visit{o: d.plan.Object.(*Order)})
			}
			return &d.plan, nil
		},
	})
	if t.Failed() {
		return
	}
	var valid int
	for ref, raw := range end {
		o := &Order{}
		require.NoError(t, json.Unmarshal(raw, o), ref)
		if o.Status.State == StateValid && len(o.Status.Certificate) > 0 {
			valid++
		}
	}
	require.Equal(t, 1, valid, "the decisions took the order to valid with its chain")
}
