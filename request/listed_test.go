package request

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/store"
)

func TestFinalListedAgreesWithIsFinal(t *testing.T) {
	cond := func(typ meta.ConditionType, status meta.ConditionStatus, reason meta.Reason) meta.Condition {
		return meta.Condition{Type: typ, Status: status, Reason: reason}
	}
	for name, conds := range map[string]meta.Conditions{
		"new":      nil,
		"approved": {cond(meta.ConditionApproved, meta.ConditionTrue, ReasonApproved)},
		"pending":  {cond(meta.ConditionReady, meta.ConditionFalse, ReasonPending)},
		"issued":   {cond(meta.ConditionApproved, meta.ConditionTrue, ReasonApproved), cond(meta.ConditionReady, meta.ConditionTrue, ReasonIssued)},
		"failed":   {cond(meta.ConditionReady, meta.ConditionFalse, ReasonFailed)},
		"denied":   {cond(meta.ConditionDenied, meta.ConditionTrue, ReasonDenied)},
		"invalid":  {cond(meta.ConditionInvalidRequest, meta.ConditionTrue, ReasonFailed)},
	} {
		t.Run(name, func(t *testing.T) {
			req := &CertificateRequest{ObjectMeta: meta.ObjectMeta{Namespace: "ns", Name: "r"},
				Spec: Spec{Request: []byte("csr")}, Status: Status{Conditions: conds, Certificate: []byte("chain")}}
			data, err := json.Marshal(req)
			require.NoError(t, err)
			assert.Equal(t, IsFinal(req), FinalListed(store.Raw{Ref: meta.RefOf(req), Data: data}))
		})
	}
}

// What it cannot read plainly counts as not final: the request is visited.
func TestFinalListedVisitsWhatItCannotTell(t *testing.T) {
	for _, data := range []string{
		`{"Status":{"conditions":[{"type":"Ready","status":"True"}]}}`,
		`{"status":{"Conditions":[{"type":"Ready","status":"True"}]}}`,
		`{"st\u0061tus":{"conditions":[{"type":"Ready","status":"True"}]}}`,
		`{"status":{"conditions":[{"type":"Ready","status":"True"}]}`,
		`{"status":{"conditions":{}}}`,
		`[]`,
	} {
		assert.False(t, FinalListed(store.Raw{Data: []byte(data)}), data)
	}
	assert.True(t, FinalListed(store.Raw{Data: []byte(`{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`)}))
}
