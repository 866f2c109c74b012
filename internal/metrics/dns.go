package metrics

import (
	"github.com/miekg/dns"

	"github.com/certflow/certflow/solver/dns01"
)

// DNSQueries returns a dns01.QueryHook that counts every query the DNS-01
// propagation check sends, then calls next (the user's hook) if set.
func (m *Metrics) DNSQueries(next dns01.QueryHook) dns01.QueryHook {
	return func(server, proto string, q dns.Question, r *dns.Msg, err error) {
		rcode := "none"
		if r != nil {
			if s, ok := dns.RcodeToString[r.Rcode]; ok {
				rcode = s
			} else {
				rcode = "other"
			}
		}
		m.dnsQueries.WithLabelValues(proto, rcode).Inc()
		if next != nil {
			next(server, proto, q, r, err)
		}
	}
}
