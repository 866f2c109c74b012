package request

// TestReplayIssuance replays the CertificateRequest decisions of one real
// HTTP-01 issuance (internal/replay/testdata, recorded by a Manager against
// acmetest) through decide alone: no CA, no network, no Store, no clock.
// It fails when a plan differs from the recorded one (status and
// conditions written, children, events, the effect named, the next visit).
// The request each decision sees is the one the replayed decisions before
// it produced, with the recorded outcomes of its effects (the approval)
// applied; its issuer, its Order and Now come from the recording. decide's
// IssuerRetry is the reconciler's default, as the Manager uses it.
//
// After changing a decision on purpose, record again:
//
//	CERTFLOW_REPLAY_RECORD=1 go test ./internal/replay/record

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/replay"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/reconcile"
)

// replayEffect is the name the reconciler gives each effect kind.
var replayEffect = map[effectKind]string{effectApprove: "approve", effectSign: "sign"}

func TestReplayIssuance(t *testing.T) {
	rec := replay.Load(t, replay.Path)
	end := replay.Drive(t, rec, meta.KindCertificateRequest, replay.Decider{
		Main: func(s json.RawMessage) (meta.Ref, json.RawMessage, error) {
			return replay.Field(s, "Request", &CertificateRequest{})
		},
		Decide: func(raw, obj json.RawMessage) (*reconcile.Plan, error) {
			var in struct {
				Issuer json.RawMessage
				Order  *order.Order
				Now    time.Time
			}
			if err := json.Unmarshal(raw, &in); err != nil {
				return nil, err
			}
			s := Snapshot{Request: &CertificateRequest{}, Order: in.Order, Now: in.Now}
			if err := json.Unmarshal(obj, s.Request); err != nil {
				return nil, err
			}
			if len(in.Issuer) > 0 && string(in.Issuer) != "null" {
				var iss issuer.Object = &issuer.Issuer{}
				if s.Request.Spec.IssuerRef.Kind == meta.KindClusterIssuer {
					iss = &issuer.ClusterIssuer{}
				}
				if err := json.Unmarshal(in.Issuer, iss); err != nil {
					return nil, err
				}
				s.Issuer = iss
			}
			d := decide(s, time.Minute)
			if d.effect != effectNone {
				name, ok := replayEffect[d.effect]
				if !ok {
					return nil, fmt.Errorf("effect %d has no name", d.effect)
				}
				d.plan.Effect = &reconcile.Effect{Name: name}
			}
			return &d.plan, nil
		},
	})
	if t.Failed() {
		return
	}
	req := &CertificateRequest{}
	require.NoError(t, json.Unmarshal(end[meta.Ref{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "web-1"}], req))
	require.True(t, req.Status.Conditions.IsTrue(meta.ConditionReady), "the decisions made the request Ready (issued)")
	require.NotEmpty(t, req.Status.Certificate)
}
