package certflow

import (
	"github.com/certflow/certflow/meta"
)

// StatusNode is one resource in the tree Status returns: its state in one
// word, the reason that explains it, the facts a person needs, recent
// events and the resources below it.
type StatusNode struct {
	Kind      meta.Kind `json:"kind"`
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name"`
	// State is the resource's state in one word: Ready or NotReady for
	// resources with conditions, the ACME state for Orders and Challenges,
	// Missing or Corrupt for an expected object that cannot be shown.
	State NodeState `json:"state"`
	// Reason says why in one CamelCase word; every node has one. It is the
	// Ready condition's reason where there is one, else the reason the
	// resource's last step would record (order.ReasonComplete,
	// challenge.ReasonPresented, …), else one of the Reason* of this
	// package.
	Reason meta.Reason `json:"reason"`
	// Message says it in words, when there is more to say.
	Message string `json:"message,omitempty"`
	// Failed marks a resource that failed: it will not get further without
	// a retry, a change of its spec, or a person.
	Failed     bool            `json:"failed,omitempty"`
	Details    []Detail        `json:"details,omitempty"`
	Conditions meta.Conditions `json:"conditions,omitempty"`
	Events     []meta.Event    `json:"events,omitempty"`
	Children   []*StatusNode   `json:"children,omitempty"`
}

// Ref returns the reference of the resource the node shows.
func (n *StatusNode) Ref() meta.Ref {
	return meta.Ref{Kind: n.Kind, Namespace: n.Namespace, Name: n.Name}
}

// Cause returns the deepest failed node at or below n: the resource whose
// failure explains the others (a Challenge the CA found invalid rather
// than the Order and the CertificateRequest that failed with it). Among
// failed siblings the last one wins: requests are listed oldest first. It
// returns nil when nothing failed.
func (n *StatusNode) Cause() *StatusNode {
	var deepest *StatusNode
	for _, c := range n.Children {
		if d := c.Cause(); d != nil {
			deepest = d
		}
	}
	if deepest != nil {
		return deepest
	}
	if n.Failed {
		return n
	}
	return nil
}

// Detail is one labelled fact about a resource.
type Detail struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// NodeState is a StatusNode's state in one word.
type NodeState string

// States of resources with conditions, and of expected resources that
// cannot be shown.
const (
	StateReady    NodeState = "Ready"
	StateNotReady NodeState = "NotReady"
	// StatePending is a resource no reconciler has looked at yet.
	StatePending NodeState = "Pending"
	StateMissing NodeState = "Missing"
	// StateCorrupt is a stored object that cannot be read; Message says
	// why and where (a file store names the file). The rest of the tree is
	// still shown.
	StateCorrupt NodeState = "Corrupt"
)

// ACME states (RFC 8555 §7.1.6) of Orders and Challenges, spelled as the
// CA spells them; errored is cert-manager's, for a failure outside ACME.
const (
	StateACMEPending    NodeState = "pending"
	StateACMEReady      NodeState = "ready"
	StateACMEProcessing NodeState = "processing"
	StateACMEValid      NodeState = "valid"
	StateACMEInvalid    NodeState = "invalid"
	StateACMEExpired    NodeState = "expired"
	StateACMEErrored    NodeState = "errored"
)

// Reasons of nodes that no condition or step of their own names.
const (
	// ReasonNotFound: an object the tree expects does not exist.
	ReasonNotFound meta.Reason = "NotFound"
	// ReasonCorrupt: the stored object cannot be read.
	ReasonCorrupt meta.Reason = "Corrupt"
	// ReasonNotStarted: no reconciler has acted on the resource yet.
	ReasonNotStarted meta.Reason = "NotStarted"
	// ReasonValidChain: a Secret holds a certificate chain that parses.
	ReasonValidChain meta.Reason = "ValidChain"
	// ReasonInvalidChain: a Secret's certificate chain does not parse.
	ReasonInvalidChain meta.Reason = "InvalidChain"
	// ReasonAuthorizationValid: the CA needed no challenge for a name.
	ReasonAuthorizationValid meta.Reason = "AuthorizationValid"
	// ReasonChallengeRemoved: a solved Challenge was cleaned up and its
	// object removed; the Order's authorization stands for it.
	ReasonChallengeRemoved meta.Reason = "ChallengeRemoved"
	// ReasonNoChallenge: an authorization of an unfinished Order has no
	// Challenge object.
	ReasonNoChallenge meta.Reason = "NoChallenge"
)

func (n *StatusNode) add(key, value string) {
	if value != "" {
		n.Details = append(n.Details, Detail{Key: key, Value: value})
	}
}
