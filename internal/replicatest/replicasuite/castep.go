package replicasuite

import (
	"slices"

	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/replicatest"
)

// CAStep is a step the CA counts against a Certificate, taken under a
// claim: where a replica is held before it (Claim), the names its effect
// may report (Effects), and where the CA counts it (Endpoint).
type CAStep struct {
	Name     string
	Claim    replicatest.ClaimPattern
	Effects  []string
	Endpoint acmetest.Endpoint
}

// Reports reports whether an effect named effect is this step.
func (s CAStep) Reports(effect string) bool { return slices.Contains(s.Effects, effect) }

// CASteps are the steps a replica must not take for a deleted owner:
// newOrder, accept and finalize.
func CASteps() []CAStep {
	return []CAStep{
		{"newOrder", replicatest.ClaimPattern{Prefix: "acme-new-order:"}, []string{"new order"}, acmetest.EndpointNewOrder},
		// An HTTP-01 challenge's first accept runs beside its first
		// self-check, as one effect; after a failed first check it is an
		// effect of its own. (A resumed accept, which checks the owners
		// itself after reading the authorization, is not this step.)
		{"accept", replicatest.ClaimPattern{Prefix: "challenge:", Suffix: ":accept"}, []string{"self-check and accept", "accept"}, acmetest.EndpointChallenge},
		{"finalize", replicatest.ClaimPattern{Prefix: "acme-finalize:"}, []string{"finalize"}, acmetest.EndpointFinalize},
	}
}
