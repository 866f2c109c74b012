package certflow

import (
	"context"
	"net/http"
	"strconv"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/store"
)

// The Orders and Challenges of a status tree: their ACME state as a typed
// NodeState, and a reason derived from what their status records.

func (m *Manager) orderStatus(ctx context.Context, o *order.Order) (*StatusNode, error) {
	n := m.node(ctx, o, nil)
	n.State, n.Reason, n.Message = acmeState(o.Status.State), orderReason(o), o.Status.Reason
	n.Failed = o.Status.State.IsFinal() && o.Status.State != order.StateValid
	n.add("URL", o.Status.URL)
	n.addTime("Failure Time", o.Status.FailureTime)
	if p := o.Status.Problem; p != nil {
		n.add("Last Problem", p.Op+": "+problemText(p.Type, p.Detail))
	}
	owner := meta.RefOf(o)
	chs, bad, err := listFor[challenge.Challenge](ctx, m.cfg.Store, store.ListOptions{
		Kind: meta.KindChallenge, Namespace: owner.Namespace, Owner: &owner})
	if err != nil {
		return nil, err
	}
	defer func() { n.Children = append(n.Children, bad...) }()
	live := map[string]bool{}
	for _, ch := range chs {
		n.Children = append(n.Children, m.challengeStatus(ctx, ch))
		live[identifierOf(ch.Spec.DNSName, ch.Spec.Wildcard)] = true
	}
	// A valid order's Challenges are deleted once cleaned up; its
	// authorizations still say what was validated.
	for _, a := range o.Status.Authorizations {
		name := identifierOf(a.Identifier, a.Wildcard)
		if live[name] {
			continue
		}
		c := &StatusNode{Kind: meta.KindChallenge, Namespace: o.ObjectMeta.Namespace, Name: o.ObjectMeta.Name + " " + name}
		switch {
		case a.InitialState == order.StateValid:
			c.State, c.Reason, c.Message = StateACMEValid, ReasonAuthorizationValid, "authorization was already valid: no challenge needed"
		case o.Status.State == order.StateValid:
			c.State, c.Reason, c.Message = StateACMEValid, ReasonChallengeRemoved, "challenge solved and cleaned up; its object was removed"
		default:
			c.State, c.Reason, c.Message = acmeState(o.Status.State), ReasonNoChallenge, "no Challenge object for this authorization"
		}
		n.Children = append(n.Children, c)
	}
	return n, nil
}

func (m *Manager) challengeStatus(ctx context.Context, ch *challenge.Challenge) *StatusNode {
	n := m.node(ctx, ch, nil)
	n.State, n.Reason, n.Message = acmeState(ch.Status.State), challengeReason(ch), ch.Status.Reason
	n.Failed = ch.Status.State.IsFinal() && ch.Status.State != challenge.StateValid
	n.add("Type", string(ch.Spec.Type))
	n.add("Identifier", identifierOf(ch.Spec.DNSName, ch.Spec.Wildcard))
	n.add("Presented", strconv.FormatBool(ch.Status.Presented))
	n.add("Processing", strconv.FormatBool(ch.Status.Processing))
	n.add("URL", ch.Spec.URL)
	if ch.Status.RecordName != "" {
		n.add("Record", ch.Status.RecordName)
	}
	n.add("Cleaned Up", strconv.FormatBool(ch.Status.CleanedUp))
	return n
}

func identifierOf(name string, wildcard bool) string {
	if wildcard {
		return "*." + name
	}
	return name
}

func problemText(typ, detail string) string {
	if typ == "" {
		return detail
	}
	return typ + ": " + detail
}

// acmeState is the NodeState of an Order's or a Challenge's state (one
// State, as cert-manager's); an Order the CA has not opened yet is pending.
func acmeState(s challenge.State) NodeState {
	switch s {
	case challenge.StateUnknown, challenge.StatePending:
		return StateACMEPending
	case challenge.StateReady:
		return StateACMEReady
	case challenge.StateProcessing:
		return StateACMEProcessing
	case challenge.StateValid:
		return StateACMEValid
	case challenge.StateInvalid:
		return StateACMEInvalid
	case challenge.StateExpired:
		return StateACMEExpired
	case challenge.StateErrored:
		return StateACMEErrored
	}
	return NodeState(s)
}

// orderReason names the Order's latest step: the reasons its own events
// carry, read back from its status.
func orderReason(o *order.Order) meta.Reason {
	st := &o.Status
	switch {
	case st.State == order.StateValid:
		return order.ReasonComplete
	case st.State.IsFinal():
		return order.ReasonFailed
	case st.Problem != nil && (st.Problem.HTTPStatus == http.StatusTooManyRequests || st.Problem.Type == acmeproto.ProblemRateLimited):
		return order.ReasonRetry
	case st.Problem != nil:
		return order.ReasonCAError
	case st.Finalizing:
		return order.ReasonFinalized
	case st.URL != "":
		return order.ReasonCreated
	}
	return ReasonNotStarted
}

// challengeReason names the Challenge's latest step.
func challengeReason(ch *challenge.Challenge) meta.Reason {
	st := &ch.Status
	switch {
	case st.State == challenge.StateValid:
		return challenge.ReasonValid
	case st.State.IsFinal():
		return challenge.ReasonFailed
	case st.Accepted:
		return challenge.ReasonAccepted
	case st.Presented && st.SelfCheckFailures > 0:
		return challenge.ReasonSelfCheck
	case st.Presented:
		return challenge.ReasonPresented
	case st.PresentFailures > 0:
		return challenge.ReasonPresentError
	}
	return ReasonNotStarted
}
