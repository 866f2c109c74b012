package certificate

// TestReplayIssuance drives a Certificate from creation to Ready through
// decide alone: no CA, no network, no Store, no clock. It feeds the
// Certificate decisions recorded during one real HTTP-01 issuance of two
// names (internal/replay/testdata, made by a Manager against acmetest) to
// decide, one after the other, and fails when a plan differs from the
// recorded one: the status written (conditions included), the children
// created or deleted, the events, the effect and the next visit.
//
// The Certificate each decision sees is the one the replayed decisions
// before it produced (see internal/replay.Drive); the rest of each
// snapshot (Secret, requests, the temporary key, Now) is the recorded one.
// The keys in the recording are throwaway keys made by the recording run.
// After changing a decision on purpose, record again:
//
//	CERTFLOW_REPLAY_RECORD=1 go test ./internal/replay/record

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/replay"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/reconcile"
)

func TestReplayIssuance(t *testing.T) {
	rec := replay.Load(t, replay.Path)
	end := replay.Drive(t, rec, meta.KindCertificate, replay.Decider{
		Main: func(s json.RawMessage) (meta.Ref, json.RawMessage, error) {
			return replay.Field(s, "Cert", &Certificate{})
		},
		Decide: func(raw, obj json.RawMessage) (*reconcile.Plan, error) {
			s := &Snapshot{}
			if err := json.Unmarshal(raw, s); err != nil {
				return nil, err
			}
			// The recording says whether the Manager asked the issuer's CA
			// for renewal information; decide only names the fetch.
			var ari struct{ ARI json.RawMessage }
			if err := json.Unmarshal(raw, &ari); err != nil {
				return nil, err
			}
			if len(ari.ARI) > 0 && string(ari.ARI) != "null" {
				s.ARI = replayedARI{}
			}
			s.Cert = &Certificate{}
			if err := json.Unmarshal(obj, s.Cert); err != nil {
				return nil, err
			}
			p := decide(s)
			return &p, nil
		},
	})
	if t.Failed() {
		return
	}
	cert := &Certificate{}
	require.NoError(t, json.Unmarshal(end[meta.Ref{Kind: meta.KindCertificate, Namespace: "default", Name: "web"}], cert))
	require.True(t, cert.Status.Conditions.IsTrue(meta.ConditionReady), "the decisions made the Certificate Ready")
	require.NotNil(t, cert.Status.Revision)
	require.Equal(t, 1, *cert.Status.Revision)
}

// replayedARI stands for the renewal information source a recorded
// snapshot had; a replayed decision never fetches.
type replayedARI struct{}

func (replayedARI) RenewalInfo(context.Context, meta.Ref, *x509.Certificate) (issuer.RenewalInfo, error) {
	return issuer.RenewalInfo{}, errors.New("replay: no renewal information")
}
