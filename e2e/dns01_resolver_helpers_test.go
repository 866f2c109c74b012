package e2e

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/require"
)

// startChasingResolver runs a resolver for the CA in front of upstream (an
// authoritative server that returns CNAMEs without chasing them) that
// follows CNAME chains, as the recursive resolver of a real CA does. It
// answers over TCP (the CA's transport) and, when the port is free, UDP.
func startChasingResolver(t *testing.T, upstream string) string {
	t.Helper()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		resp := new(dns.Msg)
		resp.SetReply(req)
		resp.RecursionAvailable = true
		if len(req.Question) == 1 {
			chase(resp, upstream, req.Question[0])
		}
		_ = w.WriteMsg(resp)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	servers := []*dns.Server{{Listener: l, Handler: handler}}
	if pc, err := net.ListenPacket("udp", l.Addr().String()); err == nil {
		servers = append(servers, &dns.Server{PacketConn: pc, Handler: handler})
	}
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.ActivateAndServe()
		}()
	}
	t.Cleanup(func() {
		for _, s := range servers {
			_ = s.Shutdown()
		}
		wg.Wait()
	})
	return l.Addr().String()
}

func chase(resp *dns.Msg, upstream string, q dns.Question) {
	c := &dns.Client{Net: "tcp", Timeout: 2 * time.Second}
	name := q.Name
	for range 8 {
		m := new(dns.Msg)
		m.SetQuestion(name, q.Qtype)
		r, _, err := c.Exchange(m, upstream)
		if err != nil {
			resp.Rcode = dns.RcodeServerFailure
			return
		}
		resp.Rcode = r.Rcode
		resp.Answer = append(resp.Answer, r.Answer...)
		target := ""
		for _, rr := range r.Answer {
			if cn, ok := rr.(*dns.CNAME); ok && strings.EqualFold(cn.Hdr.Name, name) {
				target = cn.Target
			}
			if rr.Header().Rrtype == q.Qtype {
				return
			}
		}
		if target == "" || q.Qtype == dns.TypeCNAME {
			return
		}
		name = target
	}
}
