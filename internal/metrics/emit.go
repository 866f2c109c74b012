package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certflow/certflow/challenge"
	"github.com/certflow/certflow/meta"
	"github.com/certflow/certflow/order"
	"github.com/certflow/certflow/solver"
)

// conditionStatuses are emitted for every ready gauge, sorted.
func conditionStatuses() [3]meta.ConditionStatus {
	return [3]meta.ConditionStatus{meta.ConditionFalse, meta.ConditionTrue, meta.ConditionUnknown}
}

// challengeStates are cert-manager's challenge statuses, each emitted for
// every challenge (Unknown is the empty state, as in cert-manager).
func challengeStates() [8]challenge.State {
	return [8]challenge.State{challenge.StateReady, challenge.StateValid, challenge.StateErrored, challenge.StateExpired,
		challenge.StateInvalid, challenge.StateProcessing, challenge.StateUnknown, challenge.StatePending}
}

func orderStates() [8]order.State {
	return [8]order.State{order.StateUnknown, order.StatePending, order.StateReady, order.StateProcessing,
		order.StateValid, order.StateInvalid, order.StateExpired, order.StateErrored}
}

func challengeTypes() [3]solver.Type {
	return [3]solver.Type{solver.HTTP01, solver.DNS01, solver.TLSALPN01}
}

// stateLabel spells a state for certflow's own gauges: the empty state
// (no ACME resource yet) reads "unknown".
func stateLabel(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collect emits the object gauges from memory.
func (x *objectIndex) collect(ch chan<- prometheus.Metric, d *descs) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	// In the registry's order (see sortCerts): condition sorts first.
	for _, s := range conditionStatuses() {
		for _, c := range x.certOrder {
			gauge(ch, d.certReady, oneIf(c.ready == s), c.ref.Name, c.ref.Namespace, string(s), c.issuer.Name, string(c.issuer.Kind), c.issuer.Group)
		}
	}
	for _, c := range x.certOrder {
		name, ns, in, ik, ig := c.ref.Name, c.ref.Namespace, c.issuer.Name, string(c.issuer.Kind), c.issuer.Group
		gauge(ch, d.certNotAfter, c.notAfter, name, ns, in, ik, ig)
		gauge(ch, d.certNotBefore, c.notBefore, name, ns, in, ik, ig)
		gauge(ch, d.certExpiration, c.notAfter, name, ns, in, ik, ig)
		gauge(ch, d.certRenewal, c.renewal, name, ns, in, ik, ig)
	}
	for ref, iss := range x.issuers {
		for _, s := range conditionStatuses() {
			if ref.Kind == meta.KindClusterIssuer {
				gauge(ch, d.clusterIssuerReady, oneIf(iss.ready == s), ref.Name, string(s))
			} else {
				gauge(ch, d.issuerReady, oneIf(iss.ready == s), ref.Name, ref.Namespace, string(s))
			}
		}
	}
	type stateType struct{ state, typ string }
	challenges := map[stateType]int{}
	for ref, c := range x.challenges {
		processing := strconv.FormatBool(c.processing)
		for _, s := range challengeStates() {
			gauge(ch, d.challengeStatus, oneIf(c.state == s), string(s), c.domain, c.reason, processing, ref.Name, ref.Namespace, c.typ)
		}
		challenges[stateType{string(c.state), c.typ}]++
	}
	for _, s := range challengeStates() {
		for _, t := range challengeTypes() {
			k := stateType{string(s), string(t)}
			gauge(ch, d.challenges, float64(challenges[k]), stateLabel(k.state), k.typ)
			delete(challenges, k)
		}
	}
	for k, n := range challenges { // a state or type this build does not know
		gauge(ch, d.challenges, float64(n), stateLabel(k.state), k.typ)
	}
	orders := map[order.State]int{}
	for _, s := range x.orders {
		orders[s]++
	}
	for _, s := range orderStates() {
		gauge(ch, d.orders, float64(orders[s]), stateLabel(string(s)))
		delete(orders, s)
	}
	for s, n := range orders {
		gauge(ch, d.orders, float64(n), stateLabel(string(s)))
	}
}
