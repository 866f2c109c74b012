package order

import "github.com/certflow/certflow/internal/acmeproto"

// State is an Order's state, spelled as cert-manager's acme/v1 State.
type State string

// States of an Order.
const (
	// StateUnknown: no ACME order yet.
	StateUnknown    State = ""
	StatePending    State = "pending"
	StateReady      State = "ready"
	StateProcessing State = "processing"
	StateValid      State = "valid"
	StateInvalid    State = "invalid"
	StateExpired    State = "expired"
	// StateErrored: the Order failed for a reason other than the CA's
	// verdict on it (a timeout, a refused request, a bad spec).
	StateErrored State = "errored"
)

// IsFinal reports whether s can no longer change.
func (s State) IsFinal() bool {
	switch s {
	case StateValid, StateInvalid, StateExpired, StateErrored:
		return true
	case StateUnknown, StatePending, StateReady, StateProcessing:
		return false
	}
	return false
}

// stateFor maps the status of an ACME order or authorization, as the CA
// reports it, to a State: the one place that does.
func stateFor(s acmeproto.Status) State {
	switch s {
	case acmeproto.StatusPending:
		return StatePending
	case acmeproto.StatusReady:
		return StateReady
	case acmeproto.StatusProcessing:
		return StateProcessing
	case acmeproto.StatusValid:
		return StateValid
	case acmeproto.StatusInvalid:
		return StateInvalid
	case acmeproto.StatusExpired, acmeproto.StatusDeactivated, acmeproto.StatusRevoked:
		return StateExpired
	}
	return StateErrored
}
