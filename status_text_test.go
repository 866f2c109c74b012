package certflow

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/certflow/certflow/certificate"
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/request"
)

// A failed issuance's tree, as Status builds it: each resource's message
// carries the one below it, and conditions and events repeat them.
func failedTree() *StatusNode {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	caSays := `authorization for "bad.example.test" is invalid: http-01: urn:ietf:params:acme:error:unauthorized: wrong key authorization`
	orderSays := `HTTP-01 challenge for "bad.example.test": ` + caSays
	reqSays := `Failed to wait for order resource "bad-1-1" to become ready: ` + orderSays
	certSays := `The certificate request "bad-1" failed: ` + reqSays
	ev := func(typ meta.EventType, reason meta.Reason, msg string, count int32) meta.Event {
		return meta.Event{Type: typ, Reason: reason, Message: msg, Time: at, FirstTime: at.Add(-time.Hour), Count: count}
	}
	return &StatusNode{Kind: meta.KindCertificate, Namespace: "default", Name: "bad", State: StateNotReady,
		Reason: certificate.ReasonDoesNotExist, Message: certSays + " (Issuing certificate as Secret does not exist)", Failed: true,
		Conditions: meta.Conditions{
			{Type: meta.ConditionReady, Status: meta.ConditionFalse, Reason: certificate.ReasonDoesNotExist, Message: certSays},
			{Type: meta.ConditionIssuing, Status: meta.ConditionFalse, Reason: certificate.ReasonFailed, Message: certSays},
		},
		Events: []meta.Event{
			ev(meta.EventNormal, certificate.ReasonRequested, "Created new CertificateRequest resource bad-1", 1),
			ev(meta.EventWarning, certificate.ReasonFailed, certSays, 3),
		},
		Children: []*StatusNode{{Kind: meta.KindCertificateRequest, Namespace: "default", Name: "bad-1", State: StateNotReady,
			Reason: request.ReasonFailed, Message: reqSays, Failed: true,
			Events: []meta.Event{ev(meta.EventWarning, request.ReasonOrderFailed, reqSays, 1)},
			Children: []*StatusNode{{Kind: meta.KindOrder, Namespace: "default", Name: "bad-1-1", State: StateACMEInvalid,
				Reason: order.ReasonFailed, Message: orderSays, Failed: true,
				Events: []meta.Event{ev(meta.EventWarning, order.ReasonFailed, orderSays, 1)},
				Children: []*StatusNode{{Kind: meta.KindChallenge, Namespace: "default", Name: "bad-1-1-1", State: StateACMEInvalid,
					Reason: challenge.ReasonFailed, Message: caSays, Failed: true,
					Events: []meta.Event{ev(meta.EventWarning, challenge.ReasonFailed, caSays, 1)}}},
			}},
		}},
	}
}

func TestStatusText_SaysEachThingOnce(t *testing.T) {
	text := failedTree().String()
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		assert.False(t, seen[line], "repeated line %q in:\n%s", line, text)
		seen[line] = true
	}
	for _, want := range []string{
		"Certificate default/bad: NotReady (DoesNotExist) [failed]",
		"Condition Issuing=False (Failed)\n",
		"Warning Failed             (x3 since 2026-01-02T02:04:05Z)\n",
		"Normal  Requested          Created new CertificateRequest resource bad-1\n",
		"Challenge default/bad-1-1-1: invalid (Failed) [failed]",
		"urn:ietf:params:acme:error:unauthorized: wrong key authorization",
	} {
		assert.Contains(t, text, want)
	}
	assert.Equal(t, 1, strings.Count(text, "wrong key authorization"), "the CA's words show once, in the headline:\n%s", text)
}

func TestStatusNode_CauseIsTheDeepestFailure(t *testing.T) {
	tree := failedTree()
	c := tree.Cause()
	if assert.NotNil(t, c) {
		assert.Equal(t, meta.Ref{Kind: meta.KindChallenge, Namespace: "default", Name: "bad-1-1-1"}, c.Ref())
	}
	// An order that failed by itself (a timeout) is the cause when its
	// challenges did not fail.
	tree.Children[0].Children[0].Children[0].Failed = false
	assert.Equal(t, meta.KindOrder, tree.Cause().Kind)
	assert.Nil(t, (&StatusNode{Kind: meta.KindCertificate, State: StateReady}).Cause())
}
