package bindtest

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Stub is a small in-process authoritative server (UDP and TCP) for tests:
// it serves fixed records for its zones, returns CNAMEs without chasing
// them, and can be told to fail (SERVFAIL, REFUSED, silence) or to truncate
// every UDP reply. It is stopped by the test's cleanup.
type Stub struct {
	// Addr is the IP:port it listens on.
	Addr string

	queries atomic.Int64

	mu       sync.Mutex
	zones    []string
	records  []dns.RR
	rcode    int
	drop     bool
	truncate bool
}

// StartStub serves zones (each gets a SOA) on addr ("127.0.0.1:0" picks a
// port) with records in zone-file syntax, e.g.
// "_acme-challenge.example.test. 60 IN TXT \"v\"". Bad records fail the test.
func StartStub(t testing.TB, addr string, zones []string, records ...string) *Stub {
	t.Helper()
	s := &Stub{}
	for _, z := range zones {
		s.zones = append(s.zones, dns.CanonicalName(z))
	}
	for _, r := range records {
		s.Add(t, r)
	}
	pc, l, err := listenPair(addr)
	if err != nil {
		t.Fatalf("bindtest: stub: %v", err)
	}
	s.Addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve)}
	tcp := &dns.Server{Listener: l, Handler: dns.HandlerFunc(s.serve)}
	var wg sync.WaitGroup
	for _, srv := range []*dns.Server{udp, tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		wg.Add(1)
		go func() { defer wg.Done(); _ = srv.ActivateAndServe() }()
		<-started
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = udp.ShutdownContext(ctx)
		_ = tcp.ShutdownContext(ctx)
		wg.Wait()
	})
	return s
}

// listenPair listens on addr over UDP and TCP, one port for both. With port
// 0 the UDP port the system picks may be taken over TCP by someone else (a
// test running in parallel): then another is picked, a bounded few times.
func listenPair(addr string) (net.PacketConn, net.Listener, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	attempts := 1
	if port == "0" {
		attempts = 20
	}
	for i := 1; ; i++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		_ = pc.Close()
		if i == attempts {
			return nil, nil, err
		}
	}
}

// Add adds one record in zone-file syntax.
func (s *Stub) Add(t testing.TB, record string) {
	t.Helper()
	rr, err := dns.NewRR(record)
	if err != nil || rr == nil {
		t.Fatalf("bindtest: stub record %q: %v", record, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, rr)
}

// RemoveAll removes every record of type qtype at name.
func (s *Stub) RemoveAll(name string, qtype uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.records[:0]
	for _, rr := range s.records {
		if !(equalName(rr.Header().Name, name) && rr.Header().Rrtype == qtype) {
			kept = append(kept, rr)
		}
	}
	s.records = kept
}

// SetRcode makes every reply carry rcode (0 restores normal answers).
func (s *Stub) SetRcode(rcode int) { s.mu.Lock(); s.rcode = rcode; s.mu.Unlock() }

// SetDrop makes the stub ignore every query, so clients time out.
func (s *Stub) SetDrop(drop bool) { s.mu.Lock(); s.drop = drop; s.mu.Unlock() }

// SetTruncateUDP makes every UDP reply empty with TC set, forcing TCP.
func (s *Stub) SetTruncateUDP(on bool) { s.mu.Lock(); s.truncate = on; s.mu.Unlock() }

// Queries returns how many queries the stub has received.
func (s *Stub) Queries() int { return int(s.queries.Load()) }

func (s *Stub) serve(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drop || len(req.Question) != 1 {
		return
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	_, isUDP := w.RemoteAddr().(*net.UDPAddr)
	switch {
	case s.rcode != 0:
		m.Rcode = s.rcode
	case s.truncate && isUDP:
		m.Truncated = true
	default:
		s.answer(m, req.Question[0])
	}
	_ = w.WriteMsg(m)
}

func (s *Stub) answer(m *dns.Msg, q dns.Question) {
	zone := s.zoneOf(q.Name)
	if zone == "" {
		m.Authoritative = false
		m.Rcode = dns.RcodeRefused
		return
	}
	soa, _ := dns.NewRR(zone + " 60 IN SOA ns1." + zone + " hostmaster." + zone + " 1 60 60 600 60")
	if q.Qtype == dns.TypeSOA && equalName(q.Name, zone) {
		m.Answer = append(m.Answer, soa)
		return
	}
	exists := equalName(q.Name, zone)
	for _, rr := range s.records {
		h := rr.Header()
		if dns.IsSubDomain(dns.CanonicalName(q.Name), dns.CanonicalName(h.Name)) {
			exists = true // the name or an empty non-terminal above a record
		}
		if !equalName(h.Name, q.Name) {
			continue
		}
		if h.Rrtype == q.Qtype || (h.Rrtype == dns.TypeCNAME && q.Qtype != dns.TypeCNAME) {
			m.Answer = append(m.Answer, dns.Copy(rr))
		}
	}
	if len(m.Answer) == 0 {
		m.Ns = append(m.Ns, soa)
		if !exists {
			m.Rcode = dns.RcodeNameError
		}
	}
}

func (s *Stub) zoneOf(name string) string {
	best := ""
	for _, z := range s.zones {
		if dns.IsSubDomain(z, dns.CanonicalName(name)) && len(z) > len(best) {
			best = z
		}
	}
	return best
}

func equalName(a, b string) bool {
	return strings.EqualFold(dns.Fqdn(a), dns.Fqdn(b))
}
