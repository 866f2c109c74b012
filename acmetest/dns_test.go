package acmetest_test

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/certflow/certflow/acmetest"
)

func query(t *testing.T, net, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: net}
	in, _, err := c.Exchange(m, addr)
	require.NoError(t, err)
	require.Equal(t, dns.RcodeSuccess, in.Rcode)
	return in
}

func answers(in *dns.Msg) []string {
	out := []string{}
	for _, rr := range in.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		case *dns.TXT:
			out = append(out, strings.Join(rr.Txt, ""))
		}
	}
	return out
}

func TestDNSAnswers(t *testing.T) {
	t.Parallel()
	plain := acmetest.NewServer(t)
	v6 := acmetest.NewServer(t, acmetest.WithIPv6Loopback())
	long := strings.Repeat("x", 300)
	plain.SetTXT("_acme-challenge.Example.TEST", "a", "b", "a")
	plain.SetTXT("long.example.test.", long)

	tests := []struct {
		name  string
		srv   *acmetest.Server
		qname string
		qtype uint16
		want  []string
	}{
		{"A for any name", plain, "anything.example.test", dns.TypeA, []string{"127.0.0.1"}},
		{"AAAA empty by default", plain, "anything.example.test", dns.TypeAAAA, []string{}},
		{"AAAA ::1 when asked", v6, "anything.example.test", dns.TypeAAAA, []string{"::1"}},
		{"TXT canonicalised and deduplicated", plain, "_ACME-challenge.example.test", dns.TypeTXT, []string{"a", "b"}},
		{"TXT longer than 255 octets", plain, "long.example.test", dns.TypeTXT, []string{long}},
		{"TXT unknown name empty", plain, "none.example.test", dns.TypeTXT, []string{}},
		{"MX empty", plain, "anything.example.test", dns.TypeMX, []string{}},
	}
	for _, tt := range tests {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+network, func(t *testing.T) {
				in := query(t, network, tt.srv.DNSAddr(), tt.qname, tt.qtype)
				assert.Equal(t, tt.want, answers(in))
			})
		}
	}
}

func TestTXTAPI(t *testing.T) {
	t.Parallel()
	s := acmetest.NewServer(t)
	const name = "_acme-challenge.api.example.test"

	s.AddTXT(name, "one")
	s.AddTXT(strings.ToUpper(name)+".", "two")
	s.AddTXT(name, "one")
	assert.Equal(t, []string{"one", "two"}, s.TXT(name))

	s.RemoveTXT(name, "one")
	assert.Equal(t, []string{"two"}, s.TXT(name+"."))

	s.SetTXT(name, "three", "four")
	assert.Equal(t, []string{"three", "four"}, s.TXT(name))

	s.SetTXT(name)
	assert.Empty(t, s.TXT(name))
	s.RemoveTXT(name, "absent") // no panic on missing name
	assert.Empty(t, s.TXT(name))
}
