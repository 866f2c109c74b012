package meta

import "time"

// ConditionType names a condition, spelled as cert-manager spells it.
type ConditionType string

// Condition types used across the chain.
const (
	ConditionReady          ConditionType = "Ready"
	ConditionIssuing        ConditionType = "Issuing"
	ConditionApproved       ConditionType = "Approved"
	ConditionDenied         ConditionType = "Denied"
	ConditionInvalidRequest ConditionType = "InvalidRequest"
)

// ConditionStatus is True, False or Unknown.
type ConditionStatus string

// Condition statuses.
const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// Reason is a CamelCase machine-readable cause of a condition or event.
type Reason string

// Condition records one aspect of an object's state.
type Condition struct {
	Type               ConditionType   `json:"type"`
	Status             ConditionStatus `json:"status"`
	Reason             Reason          `json:"reason,omitempty"`
	Message            string          `json:"message,omitempty"`
	LastTransitionTime time.Time       `json:"lastTransitionTime,omitempty"`
	ObservedGeneration int64           `json:"observedGeneration,omitempty"`
}

// Conditions is a list with at most one condition of each type.
type Conditions []Condition

// Get returns the condition of type t, or nil.
func (cs Conditions) Get(t ConditionType) *Condition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}

// IsTrue reports whether condition t exists with status True.
func (cs Conditions) IsTrue(t ConditionType) bool {
	c := cs.Get(t)
	return c != nil && c.Status == ConditionTrue
}

// Set stores c, replacing the condition of the same type. LastTransitionTime
// is kept when the status did not change, so it records the last transition.
func (cs *Conditions) Set(c Condition) {
	if old := cs.Get(c.Type); old != nil {
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		*old = c
		return
	}
	*cs = append(*cs, c)
}

// Remove deletes the condition of type t if present.
func (cs *Conditions) Remove(t ConditionType) {
	out := (*cs)[:0]
	for _, c := range *cs {
		if c.Type != t {
			out = append(out, c)
		}
	}
	*cs = out
}
