package metrics

import (
	"errors"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
)

func TestDNSQueries_CountByProtoAndRcode_ThenCallTheUsersHook(t *testing.T) {
	r := newRig(t)
	var seen []string
	hook := r.m.DNSQueries(func(server, proto string, _ dns.Question, _ *dns.Msg, _ error) { seen = append(seen, server+"/"+proto) })
	q := dns.Question{Name: "_acme-challenge.example.test.", Qtype: dns.TypeTXT, Qclass: dns.ClassINET}
	reply := func(rcode int) *dns.Msg { m := new(dns.Msg); m.Rcode = rcode; return m }
	hook("192.0.2.1:53", "udp", q, reply(dns.RcodeSuccess), nil)
	hook("192.0.2.1:53", "udp", q, reply(dns.RcodeSuccess), nil)
	hook("192.0.2.2:53", "udp", q, reply(dns.RcodeServerFailure), nil)
	hook("192.0.2.2:53", "tcp", q, nil, errors.New("i/o timeout"))
	r.m.DNSQueries(nil)("192.0.2.3:53", "udp", q, reply(dns.RcodeNameError), nil)

	assert.Equal(t, map[string]float64{
		`{proto="udp",rcode="NOERROR"}`:  2,
		`{proto="udp",rcode="SERVFAIL"}`: 1,
		`{proto="tcp",rcode="none"}`:     1,
		`{proto="udp",rcode="NXDOMAIN"}`: 1,
	}, gather(t, r.m)["certflow_dns01_queries_total"].samples)
	assert.Equal(t, []string{"192.0.2.1:53/udp", "192.0.2.1:53/udp", "192.0.2.2:53/udp", "192.0.2.2:53/tcp"}, seen)
}
