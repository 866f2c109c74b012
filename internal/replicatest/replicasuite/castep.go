package replicasuite

import (
	"github.com/certflow/certflow/acmetest"
	"github.com/certflow/certflow/internal/replicatest"
)

// CAStep is a step the CA counts against a Certificate, taken under a
// claim: where a replica is held before it (Claim), the name its effect
// reports (Effect), and where the CA counts it (Endpoint).
type CAStep struct {
	Name     string
	Claim    replicatest.ClaimPattern
	Effect   string
	Endpoint acmetest.Endpoint
}

// CASteps are the steps a replica must not take for a deleted owner:
// newOrder, accept and finalize.
func CASteps() []CAStep {
	return []CAStep{
		{"newOrder", replicatest.ClaimPattern{Prefix: "acme-new-order:"}, "new order", acmetest.EndpointNewOrder},
		// An HTTP-01 challenge's first accept runs beside its first
		// self-check, as one effect.
		{"accept", replicatest.ClaimPattern{Prefix: "challenge:", Suffix: ":accept"}, "self-check and accept", acmetest.EndpointChallenge},
		{"finalize", replicatest.ClaimPattern{Prefix: "acme-finalize:"}, "finalize", acmetest.EndpointFinalize},
	}
}
