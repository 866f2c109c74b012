package order

import (
	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/internal/acmeproto"
)

// State is an Order's state. It is a Challenge's State, as cert-manager's
// acme/v1 has one State for both resources: a state read from one can be
// compared with the other's constants without a conversion.
type State = challenge.State

// States of an Order.
const (
	// StateUnknown: no ACME order yet.
	StateUnknown    = challenge.StateUnknown
	StatePending    = challenge.StatePending
	StateReady      = challenge.StateReady
	StateProcessing = challenge.StateProcessing
	StateValid      = challenge.StateValid
	StateInvalid    = challenge.StateInvalid
	StateExpired    = challenge.StateExpired
	// StateErrored: the Order failed for a reason other than the CA's
	// verdict on it (a timeout, a refused request, a bad spec).
	StateErrored = challenge.StateErrored
)

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
