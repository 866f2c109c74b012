package request

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/internal/pki"
	"github.com/certflow/certflow/issuer"
	"github.com/certflow/certflow/meta"
)

// TestManualDecisions is the table of a person's approve and deny: what
// each records, that a decision is final, and what the reconciler's
// decision makes of the result.
func TestManualDecisions(t *testing.T) {
	csr := testCSR(t, testKey(t), pki.CSRTemplate{DNSNames: []string{"a.example.com"}})
	pending := func() *CertificateRequest {
		r := approvedReq(csr)
		r.Status.Conditions = nil
		return r
	}
	approved := func() *CertificateRequest { return approvedReq(csr) }
	denied := func() *CertificateRequest {
		r := pending()
		require.NoError(t, Deny(r, "Policy", "not ours", testNow))
		return r
	}
	selfSigned := readyIssuer(issuer.Spec{SelfSigned: &issuer.SelfSignedIssuer{}})

	tests := []struct {
		name    string
		req     func() *CertificateRequest
		deny    bool
		err     error
		cond    meta.ConditionType // the condition the decision sets
		ready   meta.Reason        // Ready reason afterwards; "" if none
		final   bool
		effect  effectKind // what the reconciler decides next
		failure bool       // a failure time is recorded
	}{
		{name: "approve a pending request: signed next, the Approver is not asked", req: pending,
			cond: meta.ConditionApproved, effect: effectSign},
		{name: "deny a pending request: failed for good", req: pending, deny: true,
			cond: meta.ConditionDenied, ready: ReasonDenied, final: true, failure: true},
		{name: "approve an approved request", req: approved, err: ErrAlreadyDecided},
		{name: "deny an approved request", req: approved, deny: true, err: ErrAlreadyDecided},
		{name: "approve a denied request", req: denied, err: ErrAlreadyDecided},
		{name: "deny a denied request", req: denied, deny: true, err: ErrAlreadyDecided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req()
			before := copyRequest(r)
			var err error
			if tt.deny {
				err = Deny(r, "Policy", "by hand", testNow)
			} else {
				err = Approve(r, "Policy", "by hand", testNow)
			}
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				assert.Equal(t, before.Status, r.Status, "a refused decision changes nothing")
				return
			}
			require.NoError(t, err)
			c := r.Status.Conditions.Get(tt.cond)
			require.NotNil(t, c)
			assert.Equal(t, meta.Condition{Type: tt.cond, Status: meta.ConditionTrue, Reason: "Policy", Message: "by hand",
				LastTransitionTime: testNow}, *c)
			if tt.ready != "" {
				require.NotNil(t, ready(r))
				assert.Equal(t, meta.ConditionFalse, ready(r).Status)
				assert.Equal(t, tt.ready, ready(r).Reason)
				assert.Contains(t, ready(r).Message, "by hand")
			} else {
				assert.Nil(t, ready(r))
			}
			assert.Equal(t, tt.final, IsFinal(r))
			assert.Equal(t, tt.failure, r.Status.FailureTime != nil)
			assert.NoError(t, Validate(r), "the conditions are ones cert-manager's webhook accepts")
			d := decide(Snapshot{Request: r, Issuer: selfSigned, Now: testNow}, 0)
			assert.Equal(t, tt.effect, d.effect)
		})
	}
}
