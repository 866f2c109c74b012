package order

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/solver"
)

// newChallenge builds the Challenge for one pending authorization, or
// reports that no solver matches it. thumbprint is the account key's JWK
// thumbprint (RFC 8555 §8.1 key authorization).
func newChallenge(o *Order, az Authorization, solvers []solver.Config, thumbprint string) (*challenge.Challenge, bool) {
	offered := make([]solver.Type, 0, len(az.Challenges))
	for _, c := range az.Challenges {
		offered = append(offered, solverType(c.Type))
	}
	i, ok := solver.SelectOffered(solvers, az.Identifier, az.Wildcard, o.ObjectMeta.Labels, offered)
	if !ok {
		return nil, false
	}
	cfg := solvers[i]
	var offer ACMEChallenge
	for _, c := range az.Challenges {
		if solverType(c.Type) == cfg.Type() {
			offer = c
			break
		}
	}
	var labels map[string]string
	if len(o.ObjectMeta.Labels) > 0 {
		labels = make(map[string]string, len(o.ObjectMeta.Labels))
		for k, v := range o.ObjectMeta.Labels {
			labels[k] = v
		}
	}
	return &challenge.Challenge{
		TypeMeta: meta.TypeMeta{APIVersion: meta.KindChallenge.APIVersion(), Kind: meta.KindChallenge},
		ObjectMeta: meta.ObjectMeta{
			Namespace: o.ObjectMeta.Namespace,
			Name:      challengeName(o.ObjectMeta.Name, az.URL, offer.Type),
			Labels:    labels,
			OwnerRefs: []meta.Ref{meta.RefOf(o)},
		},
		Spec: challenge.Spec{
			URL:              offer.URL,
			AuthorizationURL: az.URL,
			DNSName:          az.Identifier,
			Wildcard:         az.Wildcard,
			Type:             cfg.Type(),
			Token:            offer.Token,
			Key:              offer.Token + "." + thumbprint,
			Solver:           cfg,
			IssuerRef:        o.Spec.IssuerRef,
		},
	}, true
}

// solverType maps an ACME wire type ("http-01") to a solver.Type.
func solverType(acmeType string) solver.Type {
	return solver.Type(strings.ToUpper(acmeType))
}

func displayName(az Authorization) string {
	if az.Wildcard {
		return "*." + az.Identifier
	}
	return az.Identifier
}

func noSolverReason(az Authorization) string {
	var types []string
	for _, c := range az.Challenges {
		types = append(types, c.Type)
	}
	hint := "offered: " + strings.Join(types, ", ")
	if az.Wildcard {
		hint = "wildcards need a DNS-01 solver"
	}
	if _, err := netip.ParseAddr(az.Identifier); err == nil {
		hint = "IP addresses need an HTTP-01 or TLS-ALPN-01 solver; RFC 8738 allows no DNS-01"
	}
	return fmt.Sprintf("no solver matches identifier %q (%s)", displayName(az), hint)
}
